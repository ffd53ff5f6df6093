from tracker.feeds.sanitize import html_to_text, sanitize_html, text_to_html


def test_script_and_style_are_removed_with_their_content():
    out = sanitize_html("<p>Hello<script>alert('x')</script><style>p{color:red}</style> world</p>")
    assert out == "<p>Hello world</p>"


def test_javascript_and_other_schemes_lose_their_href():
    out = sanitize_html(
        '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a>'
        '<a href="data:text/html,x">c</a><a href="mailto:x@example.org">d</a>'
    )
    assert "href" not in out
    assert "javascript" not in out.lower()
    assert "data:" not in out


def test_http_links_kept_with_safe_rel():
    out = sanitize_html(
        '<a href="https://example.org/a?b=1&c=2" rel="opener" target="_blank">x</a>'
    )
    assert out == (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">x</a>'
    )


def test_relative_links_dropped():
    assert "href" not in sanitize_html('<a href="/local">x</a>')


def test_cite_must_be_http():
    assert "cite" not in sanitize_html('<blockquote cite="javascript:x">q</blockquote>')
    kept = sanitize_html('<q cite="https://example.org/s">q</q>')
    assert 'cite="https://example.org/s"' in kept


def test_event_handlers_images_and_iframes_removed():
    out = sanitize_html(
        '<p onclick="x()" style="color:red">t<img src=x onerror="alert(1)">'
        '<iframe src="https://evil.example">in</iframe></p>'
    )
    assert out == "<p>t</p>"


def test_allowed_tags_survive():
    html = (
        "<h2>H</h2><ul><li><em>a</em></li></ul><blockquote>b</blockquote><pre><code>c</code></pre>"
    )
    assert sanitize_html(html) == html


def test_html_to_text_strips_tags_decodes_entities_collapses_space():
    html = "<p>Pakistan &amp; Iran</p><p>talk\n\n  again<script>x()</script> &lt;ok&gt;</p>"
    assert html_to_text(html) == "Pakistan & Iran talk again <ok>"


def test_html_to_text_keeps_words_apart_at_block_boundaries():
    assert html_to_text("<p>one</p><p>two</p><br>three<li>four</li>") == "one two three four"


def test_plain_text_is_escaped_not_interpreted():
    out = text_to_html("Use <script>alert(1)</script> & <b>bold</b>\n\nNext")
    assert out == (
        "<p>Use &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p><p>Next</p>"
    )
    assert sanitize_html(out) == out
