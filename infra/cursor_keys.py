"""The cursor signing keys of a deployed stage (an SSM SecureString, template.yaml Metadata):
create them once before the first deploy, rotate them later without breaking a live cursor.

    python -m infra.cursor_keys create --stage prod
    python -m infra.cursor_keys rotate --stage prod [--force]

Uses the caller's AWS credentials and region. A rotation keeps the current key as the previous
one, which still verifies for crm.platform.signing_keys.GRACE; a second rotation within that time
is refused unless --force (it would make the cursors signed with the key it drops fail early).
"""

from __future__ import annotations

import argparse
import secrets

import boto3

from crm.platform import clock, signing_keys
from infra import template


def parameter_name(stage: str) -> str:
    """The parameter template.yaml's Metadata names for the stage."""
    return template.secure_parameters(template.local_refs({"Stage": stage}))["CursorSigningKey"]


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def create(ssm, name: str) -> None:
    """Write a first key; refused if the parameter exists (rotate it instead)."""
    ssm.put_parameter(Name=name, Value=new_secret(), Type="SecureString", Overwrite=False, Description="CRM cursor signing keys")


def rotate(ssm, name: str, *, force: bool = False) -> str:
    """Make a new key current; returns the id of the key that now signs."""
    current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    value = signing_keys.rotated(current, new_secret(), clock.now(), force=force)
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    return signing_keys.parse(value).current.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["create", "rotate"])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--force", action="store_true", help="rotate even within the previous rotation's grace period")
    args = parser.parse_args()
    ssm, name = boto3.client("ssm"), parameter_name(args.stage)
    if args.action == "create":
        create(ssm, name)
        print(f"created {name}")
    else:
        print(f"rotated {name}: cursors are now signed with key {rotate(ssm, name, force=args.force)}")


if __name__ == "__main__":
    main()
