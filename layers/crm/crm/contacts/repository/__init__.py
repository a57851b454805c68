"""DynamoDB keys and writes of the contacts context: the only modules that know these keys.

  contacts.py  the contact, its reference, its search terms, its dependents
  accounts.py  contact groups, the account's settings and legal identity, staff profiles
  notes.py     notes and the email archive

Items (all keys start with the tenant, through crm.platform.keys):
  contact        PK=T#t#CONTACT#<id>            SK=CONTACT
                 GSI1 T#t#CONTACTS / <name>#<id>      every contact, by name
                 GSI2 T#t#GROUP#<group> / <name>#<id> a group's contacts
                 GSI3 T#t#PARENT#<parent> / <name>#<id> a contact's children
                 GSI4 T#t#LEGALID#<SIREN, else VAT number> / <name>#<id>  (sparse: contacts by legal
                      identifier; not unique, the sites of one company share their SIREN)
  note, email    PK=T#t#CONTACT#<id>            SK=NOTE#<ulid> / EMAIL#<ulid>
                 a note about a topic filed under the contact (an opportunity) also has
                 GSI1 T#t#TOPICNOTES#<kind>#<topic id> / <ulid>
  tenant email   PK=T#t#EMAILS                  SK=EMAIL#<ulid>  (an email that concerns no contact)
  dependents     PK=T#t#CONTACT#<id>            SK=DEPENDENTS  (children, persons, jobs: how many are
                 filed under it, moved in the same transactions as they are; deleting the contact is
                 conditional on none)
  reference      PK=T#t#REF#<folded reference>  SK=REF  (uniqueness of the accounting reference)
  search term    PK=T#t#SEARCH#<first char>     SK=<term>#<contact id>#<owner>
                 (owner: "contact" for the contact's own fields, or a person's id; the term
                 holds nothing else of the contact, so it never goes stale)
  group          PK=T#t#GROUPS                  SK=GROUP#<id>  (contact_count kept in step)
  group name     PK=T#t#GROUPNAME#<folded name> SK=GROUPNAME
  settings       PK=T#t#SETTINGS                SK=SETTINGS
  legal identity PK=T#t#SETTINGS                SK=LEGAL  (the account's, on its invoices)
  profile        PK=T#t#USER#<folded email>     SK=PROFILE  (a staff user's own locale and time zone)
"""
