"""Language and formats of the web pages (ngôn ngữ và định dạng): Vietnamese by default.

Every code is shown with its Vietnamese label (the code lists' ``label_vi``), dates as
``dd/mm/yyyy``, record times in Viet Nam time (Asia/Ho_Chi_Minh), whole numbers with ``.``
between thousands and decimals with ``,`` (``1.234.567``, ``12,5``). English (``en``) keeps
the codes and ISO dates, as ``SOCAI_LANG=en`` does on the command line. The language is the
``socai_lang`` cookie, set by the switch in the page header; nothing else is guessed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.case.commands import CODE_LISTS
from domain.reference.codes import LabelledEnum
from domain.time import VIETNAM_TZ

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "socai_lang"

#: Where a case stands (giai đoạn, :attr:`domain.case.steps.CaseStatus.stage`).
STAGE_LABELS = {
    "received": "Đã tiếp nhận",
    "under_verification": "Đang xác minh",
    "supported": "Đang hỗ trợ",
    "reintegrated": "Đã hòa nhập cộng đồng",
    "closed": "Đã đóng hồ sơ",
}

#: The words of the pages: key → (Vietnamese, English).
WORDS: dict[str, tuple[str, str]] = {
    "app": ("Sổ cái — hỗ trợ nạn nhân bị mua bán", "Sổ cái — victim support ledger"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "totp": (
        "Mã dùng một lần (TOTP, nếu vai trò cần)",
        "One-time code (TOTP, if your role needs it)",
    ),
    "home": ("Trang chính", "Home"),
    "cases": ("Hồ sơ", "Cases"),
    "audit": ("Kiểm toán sổ cái", "Ledger audit"),
    "finance": ("Đối chiếu kinh phí", "Funding reconciliation"),
    "reports": ("Báo cáo thống kê", "Statistics"),
    "rollup": ("Biểu tổng hợp số liệu", "Rollup form"),
    "kpi": ("Chỉ tiêu", "KPIs"),
    "quality": ("Kiểm tra biểu nộp", "Check a submitted rollup"),
    "unit": ("Đơn vị (mã, MAP:CODE hoặc tên)", "Unit (code, MAP:CODE or name)"),
    "stage": ("Giai đoạn", "Stage"),
    "any": ("(tất cả)", "(any)"),
    "overdue": ("Chỉ hồ sơ quá hạn thủ tục", "Only cases with overdue procedures"),
    "received_from": ("Tiếp nhận từ ngày", "Received from"),
    "received_to": ("đến ngày", "Received until"),
    "case_id": ("Mã hồ sơ (đầu mã)", "Case id (or its beginning)"),
    "search": ("Tìm", "Search"),
    "show": ("Xem", "Show"),
    "as_of": ("Tình trạng tại ngày", "As it stood on"),
    "known_at": ("Theo dữ liệu đã ghi nhận lúc", "As known at"),
    "timeline": ("Diễn biến hồ sơ", "Case timeline"),
    "access_log": ("Nhật ký truy cập", "Access log"),
    "personal": ("Dữ liệu cá nhân", "Personal data"),
    "purpose": ("Mục đích", "Purpose"),
    "read_personal": ("Đọc dữ liệu cá nhân (được ghi nhật ký)", "Read personal data (logged)"),
    "version": ("Phiên bản", "Version"),
    "step": ("Bước", "Step"),
    "occurred_on": ("Ngày", "Date"),
    "recorded_at": ("Ghi nhận lúc (giờ Việt Nam)", "Recorded (Viet Nam time)"),
    "actor": ("Người ghi", "Recorded by"),
    "agency": ("Cơ quan", "Agency"),
    "legal_basis": ("Căn cứ", "Legal basis"),
    "details": ("Nội dung", "Details"),
    "position": ("Vị trí trong sổ", "Log position"),
    "proof": ("Bằng chứng", "Proof"),
    "download_proof": ("Tải bằng chứng", "Download proof"),
    "check_proof": ("Kiểm tra", "Check"),
    "corrects": ("đính chính bước", "corrects step"),
    "corrected_by": ("được đính chính bởi bước", "corrected by step"),
    "error": ("Lỗi", "Error"),
    "hint": ("Gợi ý", "Hint"),
    "language": ("Ngôn ngữ", "Language"),
    "status": ("Tình trạng", "Status"),
    "no_rows": ("Không có dòng nào.", "No rows."),
    "total": ("Tổng", "Total"),
    "programme": ("Chương trình", "Programme"),
    "group_by": ("Nhóm theo", "Group by"),
    "cut_off": ("Ngày chốt số liệu", "Cut-off date"),
    "download_xlsx": ("Tải XLSX", "Download XLSX"),
    "discrepancies": ("Chênh lệch", "Discrepancies"),
    "behind": ("Giao dịch", "Transactions"),
    "chart_lines": ("Dự toán và đã chi theo dòng", "Budget vs disbursed by line"),
    "chart_units": ("Đã chi theo tỉnh và kỳ", "Disbursed by province and period"),
    "period": ("Kỳ báo cáo (vd 2016-2020, 2024-H1)", "Period (e.g. 2016-2020, 2024-H1)"),
    "verify_now": ("Kiểm tra toàn bộ sổ ngay", "Verify the whole ledger now"),
    "checkpoints": ("Điểm kiểm (checkpoint) đã ký", "Signed checkpoints"),
    "unsigned_tail": ("Đuôi chưa ký", "Unsigned tail"),
    "redacted": ("Đã xóa dữ liệu theo quyết định", "Redacted by an authorised erasure"),
    "upload": ("Tải lên", "Upload"),
    "file": ("Tệp biểu (CSV hoặc XLSX)", "Rollup file (CSV or XLSX)"),
    "target": ("Mục tiêu", "Target"),
    "value": ("Giá trị", "Value"),
    "met": ("Đạt", "Met"),
    "list": ("Danh sách", "List"),
    "next": ("Tiếp", "Next"),
}


def word(key: str, lang: str) -> str:
    vi, en = WORDS[key]
    return vi if lang == "vi" else en


def chosen_language(cookie: str | None) -> str:
    """The language of a request: the cookie's when it is one socai speaks, else Vietnamese."""
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def group_digits(value: int) -> str:
    """``1234567`` → ``1.234.567`` (Vietnamese thousands separator), sign kept."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", ".")


def number(value: Any, lang: str = "vi") -> str:
    """A figure as the page shows it: whole numbers grouped by ``.``, decimals after ``,``
    (Vietnamese); English groups by ``,``. Anything else as text; None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return group_digits(value) if lang == "vi" else f"{value:,}"
    if isinstance(value, Decimal):  # exact: as many decimals as the figure has, no more
        whole, _, fraction = format(value.normalize(), "f").partition(".")
        grouped = number(int(whole), lang) if whole not in ("-0", "") else whole
        return grouped + ((("," if lang == "vi" else ".") + fraction) if fraction else "")
    if isinstance(value, float):  # a cell read from a file: as exact as it was written
        if value != value:  # NaN: a blank cell
            return ""
        return (
            number(int(value), lang) if value.is_integer() else number(Decimal(repr(value)), lang)
        )
    return str(value)


def day(value: date | str | None, lang: str = "vi") -> str:
    """A business date: ``dd/mm/yyyy`` (ISO 8601 in English)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM_TZ).date()
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def instant(value: datetime | str | None, lang: str = "vi") -> str:
    """A record time in Viet Nam time: ``dd/mm/yyyy HH:MM:SS`` (ISO in English)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(VIETNAM_TZ)
    if lang == "vi":
        return local.strftime("%d/%m/%Y %H:%M:%S")
    return local.isoformat(timespec="seconds")


def code(field: str, value: Any, lang: str = "vi") -> str:
    """A coded value with its Vietnamese label (``victim — Là nạn nhân``); English: the code."""
    text = "" if value is None else str(value)
    code_list = CODE_LISTS.get(field)
    member = None if code_list is None else code_list._value2member_map_.get(text)
    if lang == "vi" and isinstance(member, LabelledEnum):
        return f"{text} — {member.label_vi}"
    return text


def stage(value: str | None, lang: str = "vi") -> str:
    """A case's stage (``verified:victim`` reads as the verification outcome's label)."""
    if not value:
        return ""
    if lang != "vi":
        return value
    if value.startswith("verified:"):
        return f"Đã xác minh: {code('outcome', value.split(':', 1)[1], lang)}"
    return STAGE_LABELS.get(value, value)
