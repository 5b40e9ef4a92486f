//! Group commit for single-record creates. Concurrent `create_record` calls queue up; one
//! writer task takes whatever has gathered (up to [`MAX_GROUP`]) and writes it in a single
//! transaction, records of the same workspace, actor and object going through one multi-row
//! batch. Under load this turns dozens of transactions of ~8 statements each into one
//! transaction of a few statements; with one caller at a time it is the plain single write.
//!
//! If a group fails (one request names a missing account, say), nothing of it is kept and each
//! request is written again on its own, so one bad request never fails its neighbours and every
//! caller gets exactly the outcome a lone write would have given.

use crate::error::StoreError;
use crate::events::WriteContext;
use crate::records::{
    append_created_events, create_in_transaction, insert_records_without_events, Written,
};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use velocity_domain::RecordInput;

const MAX_GROUP: usize = 256;
const QUEUE: usize = 4096;

struct Pending {
    ctx: WriteContext,
    input: RecordInput,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

/// The handle callers use; the writer task ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CreateQueue {
    sender: mpsc::Sender<Pending>,
}

impl CreateQueue {
    pub(crate) fn start(writer: AnyPool) -> CreateQueue {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, receiver));
        CreateQueue { sender }
    }

    pub(crate) async fn create(
        &self,
        ctx: &WriteContext,
        input: RecordInput,
    ) -> Result<Written, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let pending = Pending {
            ctx: ctx.clone(),
            input,
            reply,
        };
        self.sender
            .send(pending)
            .await
            .map_err(|_| StoreError::Closed)?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(writer: AnyPool, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        if group.len() > 1 {
            if let Ok(results) = write_group(&writer, &group).await {
                for (pending, result) in group.into_iter().zip(results) {
                    let _ = pending.reply.send(Ok(result));
                }
                continue;
            }
        }
        for pending in group {
            let result = write_alone(&writer, &pending.ctx, pending.input).await;
            // The caller may have gone away (client disconnected); the write stands.
            let _ = pending.reply.send(result);
        }
    }
}

async fn write_alone(
    writer: &AnyPool,
    ctx: &WriteContext,
    input: RecordInput,
) -> Result<Written, StoreError> {
    let mut written = create_in_transaction(writer, ctx, input.kind, vec![input]).await?;
    written.pop().ok_or(StoreError::NotFound("record"))
}

/// Writes the whole group in one transaction, or nothing. Requests sharing workspace, actor,
/// source and object are written as one batch; results come back in request order.
async fn write_group(writer: &AnyPool, group: &[Pending]) -> Result<Vec<Written>, StoreError> {
    let mut results: Vec<Option<Written>> = group.iter().map(|_| None).collect();
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for (index, pending) in group.iter().enumerate() {
        let same = |other: &Pending| {
            other.ctx.workspace == pending.ctx.workspace
                && other.ctx.actor == pending.ctx.actor
                && other.ctx.source == pending.ctx.source
                && other.input.kind == pending.input.kind
        };
        match batches.iter_mut().find(|batch| same(&group[batch[0]])) {
            Some(batch) => batch.push(index),
            None => batches.push(vec![index]),
        }
    }
    let mut tx = writer.begin().await?;
    let mut inserted = Vec::with_capacity(batches.len());
    for batch in &batches {
        let lead = &group[batch[0]];
        let inputs = batch.iter().map(|i| group[*i].input.clone()).collect();
        inserted.push(
            insert_records_without_events(&mut tx, &lead.ctx, lead.input.kind, inputs).await?,
        );
    }
    // Events last: see `insert_records_without_events`.
    for (batch, records) in batches.iter().zip(inserted) {
        let lead = &group[batch[0]];
        let written = append_created_events(&mut tx, &lead.ctx, lead.input.kind, records).await?;
        for (index, record) in batch.iter().zip(written) {
            results[*index] = Some(record);
        }
    }
    tx.commit().await?;
    results
        .into_iter()
        .map(|r| r.ok_or(StoreError::NotFound("record")))
        .collect()
}
