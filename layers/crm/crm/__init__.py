"""The crm layer: the library every Lambda function of the CRM shares."""
