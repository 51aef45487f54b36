"""The pages of ``socai serve``, one module per area; each exposes ``ROUTES``."""
