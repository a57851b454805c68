"""French e-invoicing of issued invoices and credit notes: the legal facts fixed at issue and the
mentions the law asks of the PDF (`facts`, `mentions`), the EN 16931 data of a document
(`en16931`), its CII and UBL 2.1 forms (`syntax`), the Factur-X PDF (`facturx`); the platform port
(`port`, `local_platform`, `submissions`), the e-reporting export and received e-invoices."""
