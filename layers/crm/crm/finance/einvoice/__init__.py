"""French e-invoicing: the documents' structured forms, the platform port, received e-invoices."""
