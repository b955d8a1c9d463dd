"""The app's panes, each drawing one view from `tui.session`."""
