//! [`Batches::reask`]: a follow-up job for the items that failed validation.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::{BatchItem, BatchJob, BatchLine, Batches, Pending};
use crate::client::reask;
use crate::completion::Completion;
use crate::error::{AttemptError, Error, Result};
use crate::instruct::Instruct;

impl<T: Instruct + DeserializeOwned + Send + 'static> Batches<T> {
    /// Submits a follow-up job holding only the `items` of `job` that failed parsing
    /// or validation, under their original custom ids, each body exactly what
    /// `create` would send on the next attempt: the item's conversation, the model's
    /// answer and the errors in the mode's reask shape. `None` when no item needs
    /// fixing. Items the provider failed, refused or never ran are left out (submit
    /// them again as they were).
    pub async fn reask(&self, job: &BatchJob, items: &[BatchItem<T>]) -> Result<Option<BatchJob>> {
        let mut failed: HashMap<&str, (&Completion, &AttemptError)> = items
            .iter()
            .filter_map(|item| match &item.result {
                Err(Error::RetriesExhausted(r)) => r
                    .attempts
                    .last()
                    .map(|a| (item.custom_id.as_str(), (&a.completion, &a.error))),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            return Ok(None);
        }
        let engine = self.engine_for(job)?;
        self.model_for(job)?;
        let mut pending = Pending::default();
        let mut add = |line: BatchLine,
                       failed: &mut HashMap<&str, (&Completion, &AttemptError)>|
         -> Result<()> {
            let Some((completion, error)) = failed.remove(line.custom_id.as_str()) else {
                return Ok(());
            };
            let mut body = line.body;
            let messages = reask::reask_messages(job.mode, completion, error);
            engine.append_messages(&mut body, job.mode, &messages)?;
            let context = job.contexts.get(&line.custom_id).cloned();
            pending.add(line.custom_id, job.model.clone(), context, body)
        };
        match &job.inputs {
            Some(inputs) => {
                for (id, raw) in job.items.iter().zip(inputs) {
                    if failed.contains_key(id) {
                        let body = serde_json::from_str(raw.get()).map_err(|e| {
                            Error::config(format!("the job's input for `{id}` is not JSON: {e}"))
                        })?;
                        add(BatchLine::new(id, body), &mut failed)?;
                    }
                }
            }
            None => {
                for id in &job.batch_ids {
                    let mut lines = engine.inputs(id).await?;
                    while let Some(line) = lines.next().await {
                        add(line?, &mut failed)?;
                        if failed.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
        if let Some(id) = failed.keys().next() {
            return Err(Error::response(format!(
                "the input of item `{id}` was not found in the job"
            )));
        }
        let job = pending
            .submit(
                engine,
                &job.provider,
                job.mode,
                job.response.clone(),
                job.round + 1,
            )
            .await?;
        Ok(Some(job))
    }
}
