"""DynamoDB keys and writes of the account's own records: its contact groups (with their unique
names and their contact counts, moved in the contacts' transactions), its settings and legal
identity, and its staff users' profiles (the key map: crm/contacts/repository/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo
from crm.platform.errors import Conflict, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr, tr_n
from crm.platform.keys import tenant_key
from crm.platform.text import fold


def _groups_pk(tenant: str) -> str:
    return tenant_key(tenant, "GROUPS")


def _group_name_pk(tenant: str, name: str) -> str:
    return tenant_key(tenant, "GROUPNAME", fold(name))


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "SETTINGS")


def _profile_pk(tenant: str, email: str) -> str:
    return tenant_key(tenant, "USER", email.casefold())


def group_count(tenant: str, group_id: str, delta: int) -> tuple[dict, Exception]:
    """The step that moves a group's count of contacts (the group must exist), in a contact's transaction."""
    op = dynamo.update(
        _groups_pk(tenant),
        f"GROUP#{group_id}",
        UpdateExpression="ADD contact_count :d",
        ConditionExpression=Attr("PK").exists(),
        ExpressionAttributeValues={":d": delta},
    )
    return op, invalid("group_id", tr("is not one of this account's contact groups"))


def _stale_group() -> PreconditionFailed:
    return PreconditionFailed(tr("the group changed since you read it; reload it and apply your change again"))


def _group_in_use(count: int) -> Conflict:
    return Conflict(
        tr_n(
            "the group is used by {count} contact; move it to another group first",
            "the group is used by {count} contacts; move them to another group first",
            count,
            count=count,
        )
    )


# ---------------------------------------------------------------- groups


def list_groups(tenant: str) -> list[dict]:
    return [dynamo.from_item(i) for i in dynamo.query_all(("PK", _groups_pk(tenant)), Key("SK").begins_with("GROUP#"))]


def get_group(tenant: str, group_id: str) -> dict | None:
    item = dynamo.get(_groups_pk(tenant), f"GROUP#{group_id}")
    return dynamo.from_item(item) if item else None


def _name_taken(name: str) -> Conflict:
    return Conflict(tr("a contact group named '{name}' already exists", name=name))


def create_group(tenant: str, group: dict, claim: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained(
        [
            *claim,
            (
                dynamo.put({"PK": _groups_pk(tenant), "SK": f"GROUP#{group['id']}", **group}, ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("this group already exists")),
            ),
            (
                dynamo.put(
                    {"PK": _group_name_pk(tenant, group["name"]), "SK": "GROUPNAME", "group_id": group["id"]},
                    ConditionExpression=Attr("PK").not_exists(),
                ),
                _name_taken(group["name"]),
            ),
        ]
    )


def rename_group(tenant: str, group: dict, name: str, expected_version: int) -> None:
    steps: list[tuple[dict, Exception | None]] = [
        (
            dynamo.update(
                _groups_pk(tenant),
                f"GROUP#{group['id']}",
                UpdateExpression="SET #n = :n, version = version + :one",
                ConditionExpression=Attr("version").eq(expected_version),
                ExpressionAttributeNames={"#n": "name"},
                ExpressionAttributeValues={":n": name, ":one": 1},
            ),
            _stale_group(),
        )
    ]
    if fold(name) != fold(group["name"]):
        steps.append((dynamo.delete(_group_name_pk(tenant, group["name"]), "GROUPNAME"), None))
        steps.append(
            (
                dynamo.put(
                    {"PK": _group_name_pk(tenant, name), "SK": "GROUPNAME", "group_id": group["id"]},
                    ConditionExpression=Attr("PK").not_exists(),
                ),
                _name_taken(name),
            )
        )
    dynamo.transact_explained(steps)


def retire_group(tenant: str, group: dict, expected_version: int) -> None:
    in_use = _group_in_use(group["contact_count"])
    try:
        dynamo.transact_explained(
            [
                (
                    dynamo.delete(
                        _groups_pk(tenant),
                        f"GROUP#{group['id']}",
                        ConditionExpression=Attr("version").eq(expected_version) & Attr("contact_count").eq(0),
                    ),
                    in_use,
                ),
                (dynamo.delete(_group_name_pk(tenant, group["name"]), "GROUPNAME"), None),
            ]
        )
    except Conflict:
        current = get_group(tenant, group["id"])
        if current is None:
            raise NotFound(tr("no such contact group")) from None
        if current["version"] != expected_version:
            raise _stale_group() from None
        raise _group_in_use(current["contact_count"]) from None


# ---------------------------------------------------------------- settings


def get_settings(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), "SETTINGS")
    return dynamo.from_item(item) if item else None


def put_settings(tenant: str, settings: dict, expected_version: int, audit_record: dict) -> None:
    """The tenant's settings at `expected_version`, with the audit record of the change."""
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    item = {**dynamo.to_item(settings), "PK": _settings_pk(tenant), "SK": "SETTINGS"}
    stale = PreconditionFailed(tr("the settings changed since you read them; reload them and apply your change again"))
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=condition), stale), (audit_record, None)])


def get_legal_identity(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), "LEGAL")
    return dynamo.from_item(item) if item else None


def put_legal_identity(tenant: str, identity: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    """The account's legal identity at `expected_version` (0: never set), with what moves along (its audit record)."""
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    item = {**dynamo.to_item(identity), "PK": _settings_pk(tenant), "SK": "LEGAL"}
    stale = PreconditionFailed(tr("the legal identity changed since you read it; reload it and apply your change again"))
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=condition), stale), *also])


# ---------------------------------------------------------------- staff profiles (their own locale)


def get_profile(tenant: str, email: str) -> dict | None:
    item = dynamo.get(_profile_pk(tenant, email), "PROFILE")
    return dynamo.from_item(item) if item else None


def put_profile(tenant: str, email: str, profile: dict, expected_version: int) -> None:
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("your profile changed since you read it; reload it and apply your change again"))
    dynamo.put_one({**dynamo.to_item(profile), "PK": _profile_pk(tenant, email), "SK": "PROFILE"}, condition, stale)


def settings_and_profiles(tenant: str, emails: list[str]) -> tuple[dict | None, dict[str, dict]]:
    """The account's settings and the profiles of the staff users at `emails` (by folded email),
    in one read: whose locale a text for these readers follows."""
    keys = [(_settings_pk(tenant), "SETTINGS"), *((_profile_pk(tenant, e), "PROFILE") for e in emails)]
    settings, profiles = None, {}
    for item in dynamo.batch_get(keys):
        data = dynamo.from_item(item)
        if item["SK"] == "SETTINGS":
            settings = data
        else:
            profiles[data["email"].casefold()] = data
    return settings, profiles
