"""Regenerate the binary documents of the Quillbox product collection (PDF and DOCX).

    python -m askdocs.evals.collections.product.make_docs      # writes docs/admin-guide.pdf and
                                                      # docs/security-whitepaper.docx

The PDF is written by hand (objects, xref, trailer) with the writer of
tests/ingest/pdf_fixtures.py, with an outline added by pypdf; the DOCX is written with
python-docx and then re-zipped with fixed timestamps. Every date and identifier is fixed, so
reruns give identical bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import textwrap
import zipfile
from pathlib import Path

from tests.ingest.docx_fixtures import add_list, add_table
from tests.ingest.fixture_files import saved
from tests.ingest.pdf_fixtures import pdf_bytes as fixture_pdf_bytes

DOCS = Path(__file__).resolve().parent / "docs"
PDF_NAME = "admin-guide.pdf"
DOCX_NAME = "security-whitepaper.docx"
FIXED_DATE = dt.datetime(2026, 9, 15, 9, 0, 0)

# --- PDF: the Administrator Guide --------------------------------------------------------------

# Each page: (heading, [items]); an item is a paragraph (str) or a table (list of rows).
_GUIDE_PAGES: list[tuple[str, list[str | list[tuple[str, ...]]]]] = [
    (
        "Quillbox Administrator Guide",
        [
            "Version 5.3, September 2026",
            "This guide is for the owners and admins of a Quillbox workspace. It covers setting "
            "up the workspace, roles and permissions, plan limits, single sign-on, the API, "
            "audit logs and retention policies.",
            "1. Setting up your workspace",
            "Each workspace has its own address of the form name.quillbox.example. The address "
            "can be changed once every 30 days from Settings > Workspace; old links redirect to "
            "the new address for 90 days.",
            "To let colleagues join without an invitation, verify your company domain. Add the "
            "TXT record shown under Settings > Domains to your DNS. Quillbox checks the record "
            "every hour, and a domain that is not verified within 72 hours must be added again.",
            "Once a domain is verified, anyone who signs up with an email address at that "
            "domain can join the workspace as a member. Admins can switch this off and approve "
            "each request instead.",
        ],
    ),
    (
        "2. Roles and permissions",
        [
            "Every person in a workspace has one of four roles. The role decides what the person "
            "can manage; access to individual files and folders is set by sharing.",
            "Owner. Each workspace has exactly one owner. The owner manages billing, can delete "
            "the workspace and is the only person who can transfer ownership.",
            "Admin. Admins manage members, groups, security settings and integrations. A "
            "workspace can have any number of admins, but admins cannot see the content of "
            "private folders that have not been shared with them.",
            "Member. Members create and share files and folders and can invite guests, unless "
            "an admin has turned guest invitations off.",
            "Guest. Guests are people outside the organisation. They see only the folders "
            "shared with them, cannot browse the member directory and cannot create top-level "
            "folders.",
            "Removing a member does not delete their files. Their private folders are moved to "
            "the owner, who can reassign them to another member within 30 days.",
        ],
    ),
    (
        "3. Plan limits",
        [
            "The table below lists the main limits of each plan. Prices are per user per month "
            "when billed annually; monthly billing costs 20% more.",
            [
                ("Plan", "Price", "Members", "Storage", "History"),
                ("Free", "$0", "up to 3", "2 GB", "30 days"),
                ("Team", "$9 per user", "up to 300", "1 TB", "180 days"),
                ("Business", "$16 per user", "unlimited", "5 TB", "unlimited"),
                ("Enterprise", "custom", "unlimited", "custom", "unlimited"),
            ],
            "Storage is pooled for the whole workspace rather than assigned per user. Extra "
            "storage can be added to Team and Business workspaces in blocks of 1 TB.",
            "Workspaces that need more than 300 members must move to the Business plan. "
            "Guests do not count towards the member limit.",
        ],
    ),
    (
        "4. Single sign-on and provisioning",
        [
            "Single sign-on (SSO) over SAML 2.0 is available on the Business and Enterprise "
            "plans. Quillbox has been tested with Okta, Microsoft Entra ID, Google Workspace "
            "and OneLogin, and works with any identity provider that supports SAML 2.0.",
            "When SSO is enforced, members sign in only through the identity provider. The "
            "workspace owner can always sign in with a password and two-factor authentication, "
            "so that a broken SSO setup cannot lock everyone out.",
            "Automatic provisioning with SCIM 2.0 is available on the Enterprise plan only. "
            "SCIM creates, updates and deactivates members as they change in the identity "
            "provider, and can sync groups.",
            "5. API and rate limits",
            "API tokens are created under Settings > Developer. Each token belongs to one "
            "member and has the same access to files as that member. Tokens expire after 90 "
            "days unless an admin allows tokens without expiry.",
            "The API allows 600 requests per minute per token. Requests over the limit receive "
            "HTTP status 429 with a Retry-After header giving the number of seconds to wait.",
        ],
    ),
    (
        "6. Audit logs",
        [
            "Audit logs record sign-ins, sharing changes, permission changes, downloads and "
            "admin actions. They are available on the Business and Enterprise plans.",
            "Audit log entries are kept for 1 year on the Business plan. Enterprise workspaces "
            "keep them for 3 years. Logs can be filtered by member, action and date, and "
            "exported as CSV files.",
            "7. Retention policies and legal hold",
            "Retention policies delete files automatically after a set time. An admin can "
            "create a policy for the whole workspace or for chosen folders, with a retention "
            "period between 30 days and 10 years.",
            "Legal hold is available on the Enterprise plan. Files under legal hold cannot be "
            "deleted or changed by anyone, including admins, until the hold is released.",
            "For help with anything in this guide, Business and Enterprise admins can contact "
            "their customer success manager.",
        ],
    ),
]
_TABLE_COLUMNS = (56, 150, 250, 340, 420)  # x positions of the table's columns


def _pdf_escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _page_stream(heading: str, items: list[str | list[tuple[str, ...]]]) -> bytes:
    """A page: the heading in bold, paragraphs wrapped at ~80 characters (one text line per
    `T*`, a blank line between paragraphs), tables one row a line with positioned cells."""
    ops = [b"BT /F2 14 Tf 56 760 Td (" + _pdf_escape(heading) + b") Tj ET"]
    y = 730
    for item in items:
        if isinstance(item, str):
            lines = textwrap.wrap(item, 80)
            ops.append(b"BT /F1 11 Tf 14 TL 56 %d Td" % y)
            ops += [b"(" + _pdf_escape(line) + b") Tj T*" for line in lines]
            ops.append(b"ET")
            y -= 14 * (len(lines) + 1)
        else:
            for number, row in enumerate(item):
                font = b"/F2" if number == 0 else b"/F1"
                for x, cell in zip(_TABLE_COLUMNS, row, strict=True):
                    ops.append(b"BT %s 10 Tf %d %d Td (%s) Tj ET" % (font, x, y, _pdf_escape(cell)))
                y -= 16
            y -= 12
    return b"\n".join(ops)


def pdf_bytes(contents: list[bytes]) -> bytes:
    """A minimal valid PDF with one page per content stream (Helvetica /F1, bold /F2)."""
    return fixture_pdf_bytes(contents, fonts=("Helvetica", "Helvetica-Bold"))


def guide_pdf() -> bytes:
    """The guide with a title and an outline (one entry per numbered section), via pypdf."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    plain = pdf_bytes([_page_stream(h, items) for h, items in _GUIDE_PAGES])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.add_metadata(
        {
            "/Title": "Quillbox Administrator Guide",
            "/Producer": "askdocs evals make_docs.py",
            "/CreationDate": "D:20260915090000Z",
        }
    )
    for page, (heading, items) in enumerate(_GUIDE_PAGES):
        for item in items if page == 0 else [heading, *items]:
            if isinstance(item, str) and item[:2] in {f"{n}." for n in range(1, 10)}:
                writer.add_outline_item(title=item, page_number=page)
    # A fixed file identifier, so reruns give identical bytes.
    ident = ByteStringObject(hashlib.md5(plain).digest())
    writer._ID = ArrayObject([ident, ident])
    return saved(writer.write)


# --- DOCX: the Security Whitepaper -------------------------------------------------------------


def _whitepaper() -> bytes:
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = "Quillbox Security Whitepaper"
    props.author = "Quillbox Security Team"
    props.last_modified_by = "Quillbox Security Team"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.revision = 1

    doc.add_paragraph("Quillbox Security Whitepaper", style="Title")
    doc.add_paragraph(
        "This whitepaper describes how Quillbox protects customer data: encryption, "
        "infrastructure, access control, certifications and how we respond to incidents. It "
        "was last reviewed in September 2026."
    )

    doc.add_heading("Encryption", level=1)
    doc.add_paragraph(
        "All customer content is encrypted at rest with AES-256. Files, document text, "
        "comments and search indexes are all covered, as are backups."
    )
    doc.add_paragraph(
        "Data in transit is always encrypted. Connections to Quillbox use TLS 1.3, and TLS 1.2 "
        "is the oldest version we accept; older protocols are refused."
    )
    doc.add_paragraph(
        "Encryption keys are stored in hardware security modules and rotated every 90 days. "
        "Enterprise customers can bring their own key, held in their own key management "
        "service; revoking that key makes the workspace content unreadable to Quillbox."
    )

    doc.add_heading("Infrastructure and backups", level=1)
    doc.add_paragraph(
        "Quillbox runs in two data centres in separate availability zones, and traffic fails "
        "over automatically if one becomes unavailable."
    )
    doc.add_paragraph(
        "Backups protect against data loss beyond the Trash and version history. Encrypted "
        "backups of all workspaces are taken every 6 hours and retained for 35 days."
    )
    doc.add_paragraph(
        "We test restoring from backup every quarter. The target is to restore service within "
        "4 hours of a major failure, losing no more than 6 hours of data."
    )

    doc.add_heading("Access control", level=1)
    doc.add_heading("Customer accounts", level=2)
    doc.add_paragraph("Quillbox protects sign-in to customer accounts with these measures:")
    add_list(
        doc,
        (
            "passwords must be at least 10 characters long and are checked against lists of "
            "breached passwords",
            "an account is locked for 15 minutes after 10 failed sign-in attempts",
            "sessions end after 14 days of inactivity, and admins can shorten this to as little "
            "as 1 hour",
            "two-factor authentication with authenticator apps, security keys and passkeys",
        ),
    )
    doc.add_heading("Employee access", level=2)
    doc.add_paragraph(
        "Quillbox employees do not have standing access to customer content. When a support "
        "case needs it, access follows these steps:"
    )
    add_list(
        doc,
        (
            "the customer grants access from the support ticket",
            "a second engineer approves the request",
            "access is limited to the workspace named in the ticket and expires after 72 hours",
            "every action taken is recorded in the workspace audit log",
        ),
        numbered=True,
    )
    doc.add_paragraph(
        "All employees pass a background check before they start. Security and privacy "
        "training is repeated every year."
    )

    doc.add_heading("Certifications and compliance", level=1)
    doc.add_paragraph("Quillbox holds the following certifications and reports:")
    add_table(
        doc,
        ("Standard", "Status", "Available to"),
        [
            (
                "SOC 2 Type II",
                "Audited every year; latest report March 2026",
                "Business and Enterprise, under NDA",
            ),
            ("ISO/IEC 27001", "Certified since June 2025", "Everyone, certificate on request"),
            ("GDPR", "Data processing agreement included in the terms", "All customers"),
            ("CSA STAR Level 1", "Self-assessment published 2026", "Everyone"),
        ],
    )
    doc.add_paragraph(
        "Copies of the SOC 2 report can be requested from the Trust page. A signed data "
        "processing agreement is available from Settings › Legal."
    )

    doc.add_heading("Vulnerability management", level=1)
    doc.add_paragraph(
        "External security firms test Quillbox regularly. A penetration test of the web app, "
        "the API and the desktop clients is carried out twice a year."
    )
    doc.add_paragraph(
        "We also run a public bug bounty programme. Researchers are paid rewards of up to "
        "$10,000 for valid reports, depending on severity."
    )
    doc.add_paragraph(
        "Vulnerabilities are fixed according to their severity. Critical issues are patched "
        "within 72 hours and high-severity issues within 14 days."
    )

    doc.add_heading("Incident response", level=1)
    doc.add_paragraph(
        "A security team is on call around the clock. If we confirm a breach that affects "
        "customer data, we notify the affected workspace owners within 48 hours."
    )
    doc.add_paragraph(
        "The notification describes what happened, which data was affected and what we are "
        "doing about it. A full written report follows within 30 days."
    )
    doc.add_paragraph(
        "Questions about security can be sent to security@quillbox.example. Vulnerability "
        "reports should go through the bug bounty programme."
    )
    return _rezip(saved(doc.save))


def _rezip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so reruns give identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 9, 15, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / PDF_NAME).write_bytes(guide_pdf())
    (DOCS / DOCX_NAME).write_bytes(_whitepaper())
    for name in (PDF_NAME, DOCX_NAME):
        data = (DOCS / name).read_bytes()
        print(f"{name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
