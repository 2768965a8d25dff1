"""Print the extraction rates the normalize tests record (``record_property("rate: ...", value)``) after the run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name.startswith("rate: "):
                lines.append(f"{name[6:]}: {value}")
    if lines:
        terminalreporter.write_sep("-", "normalize extraction rates")
        for line in lines:
            terminalreporter.write_line(line)
