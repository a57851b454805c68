"""Persons (the people at a contact), the tenant's tags, GDPR consent, export and erasure."""
