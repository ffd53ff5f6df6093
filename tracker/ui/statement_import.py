"""The CSV import on the Add statement page: the same rules as the form and as
``tracker statements import``, every refused row listed with its line and column."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracker.errors import PermissionDenied, TrackerError
from tracker.imports import ImportReport, import_statements_csv, statements_template_csv
from tracker.ui.db import write_scope
from tracker.ui.text import md_escape

P = "stmt_import_"
REPORT = f"{P}report"
# A page upload validates in the app's own process; the command line takes larger files.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def import_section(user_id: int) -> None:
    """An expander with the template, the upload and the last import's report."""
    report: ImportReport | None = st.session_state.get(REPORT)
    with st.expander("Import statements from a CSV file", expanded=report is not None):
        st.markdown(
            "One statement per row, in the columns of the template; every row is checked like "
            "the form. Imported statements are pending until a reviewer verifies them, and a "
            "file imported twice adds nothing the second time. Larger files: "
            "`tracker statements import FILE.csv`."
        )
        st.download_button(
            "Download the template",
            statements_template_csv(),
            file_name="statements-template.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"{P}template",
        )
        upload = st.file_uploader("CSV file", type=["csv", "txt"], key=f"{P}file")
        valid_only = st.checkbox(
            "Import the valid rows even if others are refused",
            key=f"{P}valid_only",
            help="By default one refused row stops the whole import, so a file goes in "
            "complete or not at all.",
        )
        if st.button("Check and import", disabled=upload is None, key=f"{P}go", type="primary"):
            assert upload is not None
            st.session_state.pop(REPORT, None)
            data = upload.getvalue()
            if len(data) > MAX_UPLOAD_BYTES:
                st.error(
                    f"The file is {len(data) / 1e6:.0f} MB; the page takes up to "
                    f"{MAX_UPLOAD_BYTES // 1_000_000} MB. Use `tracker statements import`."
                )
                return
            try:
                with write_scope() as session:
                    report = import_statements_csv(
                        session, data, user_id=user_id, valid_only=valid_only
                    )
                    if report.stored:
                        session.commit()
                    else:
                        session.rollback()
            except PermissionDenied as exc:
                st.error(f"Not allowed: {md_escape(str(exc))}", icon=":material/block:")
                return
            except TrackerError as exc:
                st.error(md_escape(str(exc)))
                return
            st.session_state[REPORT] = report
        if report is not None:
            _show_report(report)


def _show_report(report: ImportReport) -> None:
    summary = md_escape(report.summary())
    if report.stored and report.imported:
        st.success(summary, icon=":material/check_circle:")
    elif report.stored:
        st.info(summary)
    else:
        st.error(summary)
    for warning in report.warnings:
        st.warning(md_escape(warning))
    if report.rejected:
        st.markdown("**Refused rows**")
        st.dataframe(
            pd.DataFrame(
                [
                    {"line": row.line, "column": column, "problem": problem}
                    for row in report.rejected
                    for column, problem in row.problems.items()
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if report.duplicates:
        st.markdown("**Already there**")
        st.dataframe(
            pd.DataFrame([{"line": d.line, "reason": d.reason} for d in report.duplicates]),
            hide_index=True,
            width="stretch",
        )
