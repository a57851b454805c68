"""The account's legal identity (the seller on its invoices), and what an invoice still lacks.

An admin sets it (PUT /settings/legal, If-Match, replaced whole); office staff read it. Finance
reads it through `legal_identity(tenant)`, a contact's identity through `service.lookup`, and asks
`missing_for_invoice(tenant, contact_id)` before issuing: each missing item of the seller's and
the buyer's side with where a user sets it, for one problem that lists them all.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, NamedTuple

from pydantic import AfterValidator, BaseModel, Discriminator, Field, StringConstraints, Tag, ValidationInfo, field_validator

from crm.contacts import service
from crm.contacts.identity import IdentifierRules, VatNumber, address_incomplete, buyer_gaps
from crm.contacts.models import Address
from crm.contacts.repository import accounts as accounts_repo
from crm.platform import identifiers
from crm.platform.errors import FieldError, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.types import STRICT, Money, Text

# French legal forms; an EI (sole trader, micro-entrepreneur included) has no share capital and no RCS entry of its own.
LegalForm = Literal["EI", "EURL", "SARL", "SASU", "SAS", "SA", "SNC", "SCOP", "SCI", "SELARL", "SELAS", "association", "other"]
SOLE_TRADER = "EI"
LEGAL_INDEMNITY = Money.model_construct(
    amount=4000, currency="EUR"
)  # not validated at import (Babel checks currencies); Code de commerce D. 441-5: 40 EUR per invoice paid late by a business


def _percent(value: str) -> str:
    try:
        rate = Decimal(value)
    except InvalidOperation:  # the pattern lets only digits and one point through; kept for safety
        rate = Decimal(-1)
    if not Decimal(0) < rate <= Decimal(100):
        raise ValueError(tr("must be a percentage above 0 and at most 100, e.g. 12.15"))
    return value


Percent = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,4})?$"), AfterValidator(_percent)]


class DiscountTerms(BaseModel):
    model_config = STRICT
    rate: Percent = Field(description="The discount, percent of the amount due, e.g. 2")
    within_days: int = Field(ge=1, le=365, description="For payment within this many days of the invoice date")


# Its terms, or "none"; a bad field is named under its form: early_payment_discount.terms.within_days.
EarlyPaymentDiscount = Annotated[
    Annotated[Literal["none"], Tag("none")] | Annotated[DiscountTerms, Tag("terms")],
    Discriminator(lambda value: "none" if isinstance(value, str) else "terms"),
]


class LegalIdentityFields(IdentifierRules):
    """The account's legal identity, replaced whole by a PUT; what is left out is not set."""

    model_config = STRICT
    legal_name: Text | None = Field(default=None, description="As registered, e.g. Plomberie Martin SARL")
    legal_form: LegalForm | None = None
    share_capital: Money | None = Field(default=None, description="Not for an EI")
    address: Address | None = Field(default=None, description="The registered office")
    siren: identifiers.Siren | None = Field(default=None, description="Taken from the SIRET or VAT number when not sent")
    siret: identifiers.Siret | None = Field(default=None, description="The registered office's; starts with the SIREN")
    rcs_city: Text | None = Field(default=None, description="The city of the trade and companies register (RCS) it is registered at")
    vat_number: VatNumber | None = Field(
        default=None, description="Intra-community VAT number, e.g. FR40303265045; its key matches the SIREN"
    )
    iban: identifiers.Iban | None = None
    bic: identifiers.Bic | None = None
    late_payment_rate: Percent | None = Field(
        default=None,
        description="Yearly rate of late-payment penalties, percent, as a decimal string (at least 3 times the legal interest rate)",
    )
    recovery_indemnity: Money = Field(
        default=LEGAL_INDEMNITY, description="The fixed indemnity for recovery costs a business owes per invoice paid late (40 EUR by law)"
    )
    early_payment_discount: EarlyPaymentDiscount | None = Field(
        default=None, description='The discount for early payment: its terms, or "none" (invoices say there is none)'
    )
    vat_on_debits: bool = Field(default=False, description="VAT paid on debits (option pour les débits): invoices say so")

    @field_validator("share_capital")
    @classmethod
    def _companies_have_capital(cls, value: Money | None, info: ValidationInfo) -> Money | None:
        if value is not None and info.data.get("legal_form") == SOLE_TRADER:
            raise ValueError(tr("an EI (sole trader) has no share capital"))
        return value

    @field_validator("recovery_indemnity")
    @classmethod
    def _at_least_the_law(cls, value: Money) -> Money:
        if value.currency == LEGAL_INDEMNITY.currency and value.amount < LEGAL_INDEMNITY.amount:
            raise ValueError(tr("is 40 EUR at least, by law"))
        return value


class LegalIdentity(LegalIdentityFields):
    version: int = Field(description='0 until it is first set (PUT with If-Match: "0")')


def legal_identity(tenant: str) -> LegalIdentity:
    """The account's legal identity (version 0 and nothing set when never set)."""
    stored = accounts_repo.get_legal_identity(tenant) or {"version": 0}
    fields = {k: v for k, v in stored.items() if k in LegalIdentity.model_fields}
    return LegalIdentity.model_validate(fields, context=identifiers.STORED)


def update_legal_identity(tenant: str, fields: LegalIdentityFields, expected_version: int) -> LegalIdentity:
    current = legal_identity(tenant)
    if current.version != expected_version:
        raise PreconditionFailed(tr("the legal identity changed since you read it; reload it and apply your change again"))
    updated = LegalIdentity.model_validate({**fields.model_dump(), "version": expected_version + 1}, context=identifiers.STORED)
    accounts_repo.put_legal_identity(tenant, updated.model_dump(mode="json"), expected_version)
    return updated


# ---------------------------------------------------------------- what an invoice still lacks


def seller_gaps(identity: LegalIdentityFields) -> list[str]:
    """The fields of the account's legal identity that every invoice names and that are not set
    (the recovery indemnity and VAT on debits always have a value)."""
    needed = {
        "legal_name": identity.legal_name is None,
        "legal_form": identity.legal_form is None,
        "share_capital": identity.legal_form != SOLE_TRADER and identity.share_capital is None,
        "address": address_incomplete(identity.address.model_dump() if identity.address else None),
        "siren": identity.siren is None,
        "rcs_city": identity.legal_form != SOLE_TRADER and identity.rcs_city is None,
        "vat_number": identity.vat_number is None,
        "late_payment_rate": identity.late_payment_rate is None,
        "early_payment_discount": identity.early_payment_discount is None,
    }
    return [name for name, missing in needed.items() if missing]


class Missing(NamedTuple):
    """An item an invoice lacks: `item` names it (seller.<field> or buyer.<field>), `where` says
    where a user sets it (a tr() message)."""

    item: str
    where: str

    def field_error(self) -> FieldError:
        return FieldError(self.item, tr("is not set: set it in {where}", where=self.where))


def missing_for_invoice(
    tenant: str, contact_id: str, *, contact: dict | None = None, identity: LegalIdentityFields | None = None
) -> list[Missing]:
    """What an invoice from the account to the contact needs and lacks, seller's side first
    (empty: it can be issued). Raises NotFound for a missing contact. A caller that has read the
    contact or the legal identity already passes them (they are not read again)."""
    contact = contact if contact is not None else service.get(tenant, contact_id)
    identity = identity if identity is not None else legal_identity(tenant)
    seller_where = tr("the account's legal identity (PUT /settings/legal)")
    buyer_where = tr("the customer's record (PATCH /contacts/{contact_id})", contact_id=contact_id)
    return [Missing(f"seller.{name}", seller_where) for name in seller_gaps(identity)] + [
        Missing(f"buyer.{name}", buyer_where) for name in buyer_gaps(contact)
    ]
