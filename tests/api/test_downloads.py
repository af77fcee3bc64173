"""Content-Disposition for any file name: ASCII names as they are, others with an RFC 5987 filename*."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.responses import Response

from api.downloads import attachment


def test_an_ascii_name_is_sent_as_it_is() -> None:
    assert attachment("clo_2026_01_trustee_monthly.pdf") == 'attachment; filename="clo_2026_01_trustee_monthly.pdf"'


def test_a_non_latin_name_gets_filename_star_and_an_ascii_fallback() -> None:
    value = attachment('Überblick "Q1"\r\n.pdf')
    # Ü, the two quotes, CR and LF become "_" in the fallback; filename* carries the exact name, percent-encoded.
    assert value == (
        "attachment; filename=\"_berblick _Q1___.pdf\"; filename*=UTF-8''%C3%9Cberblick%20%22Q1%22%0D%0A.pdf"
    )
    assert unquote(value.split("UTF-8''")[1]) == 'Überblick "Q1"\r\n.pdf'
    # The value is ASCII, so the server can send it; a raw 報告.xlsx in filename="…" is not Latin-1 and would raise.
    Response(headers={"Content-Disposition": attachment("報告.xlsx")})
