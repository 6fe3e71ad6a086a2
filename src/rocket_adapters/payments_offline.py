"""The default PaymentGateway: no payment provider, no network.

Rocket runs without a Stripe account: staff record cash, bank transfer and cheque payments
(``PaymentService.record_payment``), which never reach a gateway. Every card operation of this
gateway raises PaymentGatewayError saying that card payments need Stripe configured
(ROCKET_STRIPE_SECRET_KEY), so a card refund or charge fails clearly and records nothing.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from rocket_core.errors import PaymentGatewayError
from rocket_core.model import Family
from rocket_core.ports import PaymentGateway, PaymentIntentResult, RefundResult

NOT_CONFIGURED = (
    "card payments need Stripe configured (set ROCKET_STRIPE_SECRET_KEY and "
    "ROCKET_STRIPE_WEBHOOK_SECRET); cash, bank transfer and cheque payments work without it"
)


class OfflineGateway(PaymentGateway):
    """A PaymentGateway for schools without card payments: every operation refuses."""

    def create_customer(self, family: Family) -> str:
        """Refused: there is no provider to register the family with."""
        raise PaymentGatewayError(NOT_CONFIGURED)

    def create_payment_intent(
        self,
        *,
        amount: Decimal,
        invoice_id: UUID,
        customer_id: str | None,
        payment_method_id: str | None = None,
        off_session: bool = False,
        organisation_id: UUID | None = None,
        family_id: UUID | None = None,
    ) -> PaymentIntentResult:
        """Refused: no card can be charged."""
        raise PaymentGatewayError(NOT_CONFIGURED)

    def refund(self, *, payment_intent_id: str, amount: Decimal) -> RefundResult:
        """Refused: card payments are refunded through Stripe only."""
        raise PaymentGatewayError(NOT_CONFIGURED)
