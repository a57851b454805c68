"""DynamoDB keys and writes of the stock context: the only modules that know these keys.

  records.py    key parts, the catalogue's sort order, records to and from DynamoDB
  catalogue.py  items, makes and models
  balances.py   balances and totals, and the transactions that move them
  movements.py  movements, the ledger, equipment units, receipts from other contexts
  parts.py      parts on jobs
  settings.py   stock settings and reorder alerts

Items (every key starts with the tenant, through crm.platform.keys):
  item        PK=T#t#SITEM#<id>  SK=ITEM
              GSI1 T#t#SITEMS / <make>#<model>#<id>   the catalogue, by make and model (folded)
  total       PK=T#t#SITEM#<id>  SK=TOTAL   the company's own stock of the item (warehouses and vans)
  balance     PK=T#t#SITEM#<id>  SK=AT#<location>   on_hand, reserved at one location
              GSI3 T#t#STOCKAT#<location> / <make>#<model>#<id>   (while anything is there or reserved)
              total and balance: GSI2 T#t#REORDER / <make>#<model>#<id>#<location or *>  (sparse: only
              while the available quantity is at or below the reorder point; the reorder report)
  make        PK=T#t#SMAKES  SK=<folded make>            makes offered by prefix
  model       PK=T#t#SMODELS#<folded make>  SK=<folded model>  item_id (uniqueness; models by prefix)
  unit        PK=T#t#SUNIT#<item>#<serial>  SK=UNIT   an equipment unit: where it is, its status
              GSI3 T#t#UNITSAT#<location> / <item>#<serial>   (while it is somewhere)
  unit move   PK=T#t#SUNIT#<item>#<serial>  SK=MOVE#<at>#<movement>   the unit's history across sites
  movement    PK=T#t#SMOVE#<id>  SK=MOVE   the ledger's record (reversed_by set once)
  ledger      PK=T#t#SLEDGER#<location>  SK=<at>#<movement>   a location's movements, both directions
  part        PK=T#t#JOBPARTS#<job>  SK=PART#<id>   parts planned or used on a job
  job cost    PK=T#t#JOBPARTS#<job>  SK=COST#<currency>   cost: the cost price of the parts issued to
              the job less those returned, moved (ADD) in each job movement's transaction
  settings    PK=T#t#SSETTINGS  SK=SETTINGS
  alert       PK=T#t#SALERTS  SK=ALERT#<occurrence>   each reorder alert run; SK=LAST: the last one's set
"""
