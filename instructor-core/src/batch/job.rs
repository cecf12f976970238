//! [`BatchJob`]: everything needed to carry on with a batch in another process.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::BatchStatus;
use crate::mode::Mode;
use crate::provider::ResponseSpec;
use crate::schema::Schema;

/// The job format written by this version.
pub(crate) const JOB_FORMAT: u32 = 1;

/// A submitted batch: `Serialize + Deserialize`, so it can be saved, loaded in
/// another process and carried on with a new client.
///
/// It holds the provider and its endpoint (never a key), the provider's batch
/// id(s), the mode and model, every item's custom id, the response model (name,
/// description and schema, with a fingerprint so results are never read as another
/// type), the reask round, and what a reask needs: each item's validation
/// `context` when it had one, and each line's body when the provider cannot give
/// the input back (OpenAI can: there the job holds no input).
///
/// ```
/// # fn load(text: &str) -> serde_json::Result<instructor_core::BatchJob> {
/// let job: instructor_core::BatchJob = serde_json::from_str(text)?;
/// println!("{} items on {}", job.len(), job.provider());
/// # Ok(job) }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchJob {
    /// The job file format.
    pub(crate) format: u32,
    /// The provider's name (`openai`, `azure`, `anthropic`, `gemini`).
    pub(crate) provider: String,
    /// Where the provider was reached (its base URL, credentials removed).
    pub(crate) endpoint: String,
    /// The provider's batch ids (several when the job was split).
    pub(crate) batch_ids: Vec<String>,
    /// The mode the bodies were built for.
    pub(crate) mode: Mode,
    /// The model every item uses.
    pub(crate) model: String,
    /// The response model as requested.
    pub(crate) response: JobResponse,
    /// Reask round: 1 for a first submission, 2 for its first follow-up, ...
    pub(crate) round: u32,
    /// Unix seconds at submission.
    #[serde(default)]
    pub(crate) created_at: u64,
    /// Every item's custom id, in submission order.
    pub(crate) items: ItemIds,
    /// Each item's validation context, for the items that had one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) contexts: BTreeMap<String, Value>,
    /// Each line's body in item order, when the provider cannot return inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inputs: Option<Vec<Box<RawValue>>>,
    /// The status last seen (by `wait` or `list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<BatchStatus>,
}

/// The response model a job was submitted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobResponse {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) schema: Schema,
    /// [`fingerprint`] of the above; empty for a job found by `list` (type unknown).
    pub(crate) fingerprint: String,
}

impl JobResponse {
    pub(crate) fn of(spec: &ResponseSpec) -> Self {
        Self {
            name: spec.name.clone(),
            description: spec.description.clone(),
            schema: spec.schema.clone(),
            fingerprint: fingerprint(spec),
        }
    }
}

/// A stable hash of the response model as sent (FNV-1a 64 over its JSON), the same
/// in every process and Rust version.
pub(crate) fn fingerprint(spec: &ResponseSpec) -> String {
    let text = serde_json::json!({
        "name": spec.name,
        "description": spec.description,
        "schema": spec.schema,
    })
    .to_string();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

impl BatchJob {
    /// The provider's name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The provider endpoint the job was submitted to (no credentials).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The provider's batch ids (more than one when the job was split to fit the
    /// provider's per-batch limits).
    pub fn batch_ids(&self) -> &[String] {
        &self.batch_ids
    }

    /// The mode the requests were built for.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// When the job was submitted (Unix seconds; 0 when unknown).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }

    /// The reask round (1 for a first submission).
    pub fn round(&self) -> u32 {
        self.round
    }

    /// The response model's name.
    pub fn response_name(&self) -> &str {
        &self.response.name
    }

    /// The response model's JSON Schema, as submitted.
    pub fn response_schema(&self) -> &Schema {
        &self.response.schema
    }

    /// The custom ids, in submission order.
    pub fn custom_ids(&self) -> impl Iterator<Item = &str> {
        self.items.iter()
    }

    /// How many items the job has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the job has no items (a job found by `list`).
    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    /// The status last seen by `wait` or `list`, if any.
    pub fn last_status(&self) -> Option<&BatchStatus> {
        self.status.as_ref()
    }
}

/// Custom ids held compactly (one string and the end of each id), serialized as a
/// plain JSON list: a million ids cost their bytes plus four per id, and a clone
/// (for a results stream) shares them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ItemIds(Arc<IdText>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct IdText {
    text: String,
    ends: Vec<u32>,
}

impl ItemIds {
    pub(crate) fn push(&mut self, id: &str) -> Result<(), crate::error::Error> {
        let ids = Arc::make_mut(&mut self.0);
        ids.text.push_str(id);
        let end = u32::try_from(ids.text.len()).map_err(|_| {
            crate::error::Error::config("a batch's custom ids exceed 4 GiB in all".to_owned())
        })?;
        ids.ends.push(end);
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.ends.len()
    }

    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let ids = &*self.0;
        let end = *ids.ends.get(index)? as usize;
        let start = match index {
            0 => 0,
            i => *ids.ends.get(i - 1)? as usize,
        };
        ids.text.get(start..end)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Item positions sorted by id, for [`ItemIds::position`].
    pub(crate) fn sorted_index(&self) -> Vec<u32> {
        let mut index: Vec<u32> = (0..self.len() as u32).collect();
        index.sort_unstable_by(|a, b| self.get(*a as usize).cmp(&self.get(*b as usize)));
        index
    }

    /// The position of `id`, through an index from [`ItemIds::sorted_index`].
    pub(crate) fn position(&self, index: &[u32], id: &str) -> Option<usize> {
        index
            .binary_search_by(|i| self.get(*i as usize).unwrap_or_default().cmp(id))
            .ok()
            .map(|found| index[found] as usize)
    }
}

impl Serialize for ItemIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for id in self.iter() {
            seq.serialize_element(id)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ItemIds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ids;
        impl<'de> Visitor<'de> for Ids {
            type Value = ItemIds;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of custom ids")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemIds, A::Error> {
                let mut ids = ItemIds::default();
                while let Some(id) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    ids.push(&id).map_err(serde::de::Error::custom)?;
                }
                Ok(ids)
            }
        }
        deserializer.deserialize_seq(Ids)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::ItemIds;

    proptest! {
        #[test]
        fn ids_round_trip_and_are_found(ids in proptest::collection::hash_set("[a-z0-9é-]{1,12}", 0..40)) {
            let mut items = ItemIds::default();
            for id in &ids {
                items.push(id).unwrap_or_else(|_| unreachable!());
            }
            let json = serde_json::to_string(&items).unwrap_or_default();
            let back: ItemIds = serde_json::from_str(&json).unwrap_or_default();
            prop_assert_eq!(&back, &items);
            let index = items.sorted_index();
            for (i, id) in items.iter().enumerate() {
                prop_assert_eq!(items.position(&index, id), Some(i));
            }
            prop_assert_eq!(items.position(&index, "NOT-THERE"), None);
        }
    }
}
