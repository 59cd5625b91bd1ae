"""MkDocs hooks for the tunecore docs (configured in mkdocs.yml; not a page).

Docstrings use Sphinx roles for cross-references (:class:`~tunecore.Trial`,
:meth:`Oracle.ask`); mkdocstrings renders them as text. This turns each into
an optional cross-reference: a link when the name is documented in the API
reference, its name in code otherwise (never a warning).
"""

import html
import re

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj|py:\w+):<code>(~?)([\w.]+)</code>")


def _reference(match: re.Match[str]) -> str:
    short, identifier = match.group(1), match.group(2)
    title = identifier.rsplit(".", 1)[-1] if short else identifier
    return f'<autoref identifier="{html.escape(identifier)}" optional><code>{html.escape(title)}</code></autoref>'


def on_page_content(html_text: str, **kwargs: object) -> str:
    return _ROLE.sub(_reference, html_text)
