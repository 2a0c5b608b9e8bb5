"""What counts as shown on a page: the rendered body's text, not what its scripts carry."""

from lifecycle.browser import visible_text


def test_text_inside_scripts_styles_and_the_head_does_not_count() -> None:
    dom = (
        "<html><head><title>Dataset Drift</title><style>.x{content:'Drift'}</style></head>"
        "<body><div id='root'></div><script>render('Dataset Drift')</script>"
        "<noscript>Dataset Drift</noscript></body></html>"
    )
    assert "Drift" not in visible_text(dom)  # a page whose scripts never ran shows nothing


def test_rendered_text_counts_with_its_entities_read() -> None:
    dom = "<html><body><h1>Dataset&nbsp;Drift</h1><p>3 &amp; 8</p></body></html>"
    text = visible_text(dom)
    assert "Dataset Drift" in text and "3 & 8" in text  # a no-break space reads as a space
