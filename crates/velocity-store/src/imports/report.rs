//! The error file of an import: the failed rows with the file's own columns plus `error`, so a
//! person can fix them and upload just those again.

use crate::error::StoreError;
use crate::Db;
use velocity_domain::WorkspaceId;

const PAGE: i64 = 1_000;

impl Db {
    /// Writes the error file as CSV; returns the number of rows in it.
    pub async fn write_import_errors(
        &self,
        workspace: WorkspaceId,
        id: &str,
        out: impl std::io::Write,
    ) -> Result<usize, StoreError> {
        let import = self.import(workspace, id).await?;
        let mut out = csv::Writer::from_writer(out);
        let mut header = import.headers();
        let width = header.len();
        header.push("error".into());
        out.write_record(&header).map_err(csv_error)?;
        let (mut after, mut written) = (0, 0);
        loop {
            let rows = self
                .import_rows(workspace, id, Some("error"), after, PAGE)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.row;
            for row in rows {
                let mut values = row.values;
                values.resize(width.max(values.len()), String::new());
                values.push(row.message.unwrap_or_default());
                out.write_record(&values).map_err(csv_error)?;
                written += 1;
            }
        }
        out.flush().map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(written)
    }
}

fn csv_error(error: csv::Error) -> StoreError {
    StoreError::Io(error.to_string())
}
