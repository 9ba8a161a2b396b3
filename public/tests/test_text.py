"""Plain text, excerpts and highlighting for the public pages."""

from __future__ import annotations

from public.text import excerpt, highlight, plain_text, summary_or_text


def test_it_takes_the_words_out_of_html() -> None:
    assert plain_text("<p>甲&amp;乙</p>\n<ul><li>丙</li></ul>") == "甲&乙 丙"


def test_it_prefers_the_summary() -> None:
    assert summary_or_text(summary="摘要", body_html="<p>正文</p>") == "摘要"
    assert summary_or_text(summary="", body_html="<p>" + "字" * 200 + "</p>", length=10) == (
        "字" * 9 + "…"
    )


def test_it_cuts_an_excerpt_around_the_match() -> None:
    body = "<p>" + "前" * 100 + "口罩" + "后" * 100 + "</p>"
    text = excerpt(summary="无关", body_html=body, query="口罩", before=3, after=3)
    assert text == "…前前前口罩后后后…"
    assert excerpt(summary="有口罩", body_html=body, query="口罩") == "有口罩"


def test_it_marks_matches_and_escapes_everything_else() -> None:
    assert highlight("<b>Mask</b> mask", "mask") == (
        "&lt;b&gt;<mark>Mask</mark>&lt;/b&gt; <mark>mask</mark>"
    )
    assert highlight("a<b", "<") == "a<mark>&lt;</mark>b"
    assert highlight("x.y", ".") == "x<mark>.</mark>y"  # the query is not a pattern
    assert highlight("<i>", "") == "&lt;i&gt;"
