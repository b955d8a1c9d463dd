"""The footer with every key; on a narrow terminal the labels shrink so that no key is cut off."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

SHORT = {
    "generate": "gen",
    "migrate": "mig",
    "tenants": "tnts",
    "untracked": "untr",
    "verify": "vfy",
    "cmds": "cmd",
}


class KeysFooter(Footer):
    """`narrow` switches to the short labels (the app sets it on resize)."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.narrow = False

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if self.narrow and isinstance(widget, FooterKey):
                widget.description = SHORT.get(widget.description, widget.description)
            yield widget

    def set_narrow(self, narrow: bool) -> None:
        if narrow != self.narrow:
            self.narrow = narrow
            self.app.refresh_bindings()  # the footer composes again, from its own context
