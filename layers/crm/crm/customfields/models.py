"""Custom field definitions, a group's ordered list of them, and a contact's answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, JsonValue, StringConstraints, model_validator

from crm.platform.i18n import tr
from crm.platform.types import STRICT, Id, Text

FieldType = Literal["text", "long_text", "number", "date", "yes_no", "single_choice", "multiple_choice"]
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
MAX_FIELDS = 100  # per group
MAX_OPTIONS = 100  # per choice field

OptionLabel = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class FieldOptionIn(BaseModel):
    """An option as a client sends it: `id` keeps (and may relabel) an existing option, no `id` adds one."""

    model_config = STRICT
    id: Id | None = None
    label: OptionLabel


Options = Annotated[list[FieldOptionIn], Field(min_length=1, max_length=MAX_OPTIONS)]


class FieldCreate(BaseModel):
    model_config = STRICT
    label: Text
    type: FieldType
    required: bool = False
    visible_to_resources: bool = False
    options: Options | None = None

    @model_validator(mode="after")
    def _options_match_type(self) -> FieldCreate:
        if self.type in CHOICE_TYPES and not self.options:
            raise ValueError(tr("a {type} field needs its options", type=self.type))
        if self.type not in CHOICE_TYPES and self.options is not None:
            raise ValueError(tr("a {type} field has no options", type=self.type))
        return self


class FieldPatch(BaseModel):
    """Fields sent replace, fields left out stay. `options` is the whole new list: options left out
    are removed (answers that chose them read as unanswered). The type never changes."""

    model_config = STRICT
    label: Text | None = None
    type: FieldType | None = None
    required: bool | None = None
    visible_to_resources: bool | None = None
    options: Options | None = None


class FieldOrder(BaseModel):
    model_config = STRICT
    field_ids: Annotated[list[Id], Field(max_length=MAX_FIELDS)]


class CopyRequest(BaseModel):
    model_config = STRICT
    from_group_id: Id
    replace: bool = Field(default=False, description="Confirms that the destination's fields and their answers are dropped.")


class FieldOption(BaseModel):
    id: str
    label: str


class FieldDefinition(BaseModel):
    id: str
    label: str
    type: FieldType
    required: bool
    visible_to_resources: bool
    options: list[FieldOption] | None = None
    position: int = Field(description="0-based display order within the group")


class FieldList(BaseModel):
    """A group's fields in display order; `version` is the list's ETag (If-Match for every change)."""

    group_id: str
    version: int
    items: list[FieldDefinition]


class CopyResult(FieldList):
    fields_dropped: int
    contacts_affected: int
    values_dropped: int


# ---------------------------------------------------------------- a contact's answers


class ValuesPatch(BaseModel):
    """Answers by field id: a value sets the answer, null clears it, fields left out stay."""

    model_config = STRICT
    values: Annotated[dict[Id, JsonValue], Field(max_length=MAX_FIELDS)]


class FieldAnswer(FieldDefinition):
    value: Any = None


class ContactFieldValues(BaseModel):
    """A contact's custom fields with their answers; `version` is the answers' own ETag."""

    contact_id: str
    group_id: str
    version: int
    fields: list[FieldAnswer]
