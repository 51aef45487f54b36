"""socai's pure domain model (mô hình nghiệp vụ).

Aggregates, events, value objects, effective-dated rules and reference data for the programme
that receives (tiếp nhận), verifies (xác minh), protects (bảo vệ) and supports (hỗ trợ) victims
of trafficking. No I/O happens here beyond reading the static reference data that ships inside
maintained packages (administrative units, ISO countries). Everything else in socai depends on
this package; this package depends on nothing in socai.
"""
