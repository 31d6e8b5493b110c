"""Sphinx settings of the course's website; `make book` copies this folder into build/book/source,
adds the generated pages and builds build/book/html. Nothing here fetches from the network."""
project = "Video Generation — from Image to Video"
author = "the course's authors"
copyright = "2026, " + author
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

nb_execution_mode = "off"          # utils.course.book gives every notebook its outputs first
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4
# The lessons link to headings as JupyterLab names them: spaces become hyphens, case is kept (#frame-rate, #GAN).
myst_heading_slug_func = "utils.course.book.heading_slug"
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

html_theme = "sphinx_book_theme"
html_title = "Video Generation — from Image to Video · 视频生成技术"
html_static_path = ["_static"]
html_theme_options = {"home_page_in_toc": True, "show_navbar_depth": 1, "use_download_button": True}
html_context = {"default_mode": "light"}   # the theme logs a console error when no mode is set
# MathJax 3 from the site's own _static/ (copied there by utils.course.book), not from a CDN.
mathjax_path = "mathjax/tex-mml-chtml.js"
