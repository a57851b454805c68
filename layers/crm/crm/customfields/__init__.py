"""Custom fields per contact group (the seed's "Détail" tab): definitions, their order, and the
values each contact of the group carries for them."""
