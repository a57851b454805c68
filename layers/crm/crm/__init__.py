"""The crm layer: the library every Lambda function of the CRM shares."""

from pydantic import BaseModel

# Pydantic builds a model's validators and serialisers when the model is first used, not when its
# class is defined: a function defines every model its routes name, a request uses a few, so the
# rest never cost a cold start anything (bench/cold_import.py). Set before any crm model exists.
BaseModel.model_config["defer_build"] = True
