//! Taking a file in: one pass to detect its encoding and take its checksum, the layout and a
//! proposed plan from its head, then the raw file stored byte for byte and every raw row with
//! the line it came from. The server (after spooling an upload) and the CLI both call
//! [`Db::import_file`], so a file is read the same way whichever door it came through.

use super::{Import, NewImport, StagedRow};
use crate::error::StoreError;
use crate::Db;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use velocity_domain::{ObjectKind, WorkspaceId};
use velocity_import::{sniff, EncodingProbe, Layout, Plan, Rows, TextEncoding};

const CHUNK: usize = 1024 * 1024;
const ROW_BATCH: usize = 2_000;
const SAMPLE_ROWS: usize = 200;

/// What the first pass learns about a file.
struct Scanned {
    encoding: TextEncoding,
    head: Vec<u8>,
    size: i64,
    checksum: String,
}

fn scan(path: &Path) -> Result<Scanned, StoreError> {
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut probe = EncodingProbe::default();
    let mut hash = Sha256::new();
    let mut size = 0;
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = file.read(&mut buffer).map_err(io_error)?;
        if read == 0 {
            break;
        }
        size += read as i64;
        hash.update(&buffer[..read]);
        probe.feed(&buffer[..read]);
    }
    let encoding = probe
        .finish()
        .map_err(|e| StoreError::invalid("file", e.to_string()))?;
    Ok(Scanned {
        encoding,
        head: probe.head().to_vec(),
        size,
        checksum: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

fn io_error(error: std::io::Error) -> StoreError {
    StoreError::Io(error.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?
}

impl Db {
    /// Reads the file at `path` into a new import of `object` rows, attributed to `by`. A file
    /// that cannot be read at all (empty, binary, a false byte-order mark, no data rows) is an
    /// invalid `file` and leaves nothing behind.
    pub async fn import_file(
        &self,
        workspace: WorkspaceId,
        by: &str,
        object: ObjectKind,
        path: &Path,
        file_name: &str,
    ) -> Result<Import, StoreError> {
        let path = path.to_path_buf();
        let scanned = blocking({
            let path = path.clone();
            move || scan(&path)
        })
        .await?;
        let mut head = String::new();
        scanned
            .encoding
            .decode(scanned.head.as_slice())
            .read_to_string(&mut head)
            .map_err(|e| StoreError::invalid("file", e.to_string()))?;
        let layout =
            sniff::sniff_layout(&head).map_err(|e| StoreError::invalid("file", e.to_string()))?;
        let sample: Vec<Vec<String>> = Rows::new(head.as_bytes(), &layout)
            .filter_map(Result::ok)
            .take(SAMPLE_ROWS)
            .map(|r| r.values)
            .collect();
        if sample.is_empty() {
            return Err(StoreError::invalid(
                "file",
                "the file has a header row but no data rows",
            ));
        }
        let new = NewImport {
            object,
            file_name: file_name.to_string(),
            encoding: scanned.encoding.name().into(),
            plan: Plan::propose(object, &layout.headers, &sample),
            layout,
        };
        let id = self.create_import(workspace, by, &new).await?;
        let stored = self
            .store_file(workspace, &id, path, scanned.encoding, &new.layout)
            .await;
        match stored {
            Ok(rows) => {
                self.finish_upload(workspace, &id, &scanned.checksum, scanned.size, rows)
                    .await?;
                self.import(workspace, &id).await
            }
            Err(error) => {
                self.discard_import(workspace, &id).await?;
                Err(error)
            }
        }
    }

    /// Stores the raw file in chunks and every raw row, reading on blocking threads; returns
    /// the number of rows.
    async fn store_file(
        &self,
        workspace: WorkspaceId,
        id: &str,
        path: PathBuf,
        encoding: TextEncoding,
        layout: &Layout,
    ) -> Result<i64, StoreError> {
        let (chunks, mut chunk_receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
        let chunk_reader = tokio::task::spawn_blocking({
            let path = path.clone();
            move || -> Result<(), StoreError> {
                let mut raw = std::fs::File::open(path).map_err(io_error)?;
                loop {
                    let mut chunk = Vec::with_capacity(CHUNK);
                    (&mut raw)
                        .take(CHUNK as u64)
                        .read_to_end(&mut chunk)
                        .map_err(io_error)?;
                    if chunk.is_empty() || chunks.blocking_send(chunk).is_err() {
                        return Ok(());
                    }
                }
            }
        });
        let mut seq = 0;
        while let Some(chunk) = chunk_receiver.recv().await {
            self.add_import_chunk(workspace, id, seq, chunk).await?;
            seq += 1;
        }
        chunk_reader
            .await
            .map_err(|e| StoreError::Io(e.to_string()))??;

        let (batches, mut receiver) =
            tokio::sync::mpsc::channel::<Result<Vec<StagedRow>, String>>(2);
        let layout = layout.clone();
        let row_reader = tokio::task::spawn_blocking(move || {
            let Ok(file) = std::fs::File::open(path) else {
                let _ = batches.blocking_send(Err("the uploaded file vanished".into()));
                return;
            };
            let mut batch = Vec::with_capacity(ROW_BATCH);
            for (index, row) in
                Rows::new(encoding.decode(std::io::BufReader::new(file)), &layout).enumerate()
            {
                match row {
                    Ok(row) => batch.push(StagedRow {
                        row: index as i64 + 1,
                        line: row.line as i64,
                        values: row.values,
                        problem: row.problem,
                    }),
                    Err(error) => {
                        let _ = batches.blocking_send(Err(error.to_string()));
                        return;
                    }
                }
                if batch.len() == ROW_BATCH
                    && batches
                        .blocking_send(Ok(std::mem::take(&mut batch)))
                        .is_err()
                {
                    return;
                }
            }
            let _ = batches.blocking_send(Ok(batch));
        });
        let mut rows = 0;
        while let Some(batch) = receiver.recv().await {
            let batch = batch.map_err(|message| StoreError::invalid("file", message))?;
            rows += batch.len() as i64;
            self.add_import_rows(workspace, id, &batch).await?;
        }
        row_reader
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(rows)
    }
}
