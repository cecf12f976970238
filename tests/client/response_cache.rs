//! The response cache (issue 17 item 6): identical calls are answered from memory or
//! disk; any change to the key misses; TTL, namespaces and `no_cache` are honoured;
//! a failed call is never stored.

use std::time::Duration;

use crate::common::{bodies, client, serve_chat, tool_answer};
use instructor::ResponseCache;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const GOOD: &str = r#"{"name": "Jason", "age": 25}"#;

fn request(text: &str) -> Request {
    Request::default().user(text).max_retries(0)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("instructor-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn identical_calls_are_answered_from_memory_and_any_key_change_misses() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (9, 9)); 6]).await;
    let cached = client(&server).with_cache(ResponseCache::memory());
    let (first, summary) = cached
        .create_with_completion::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(summary.attempts, 1);
    let (again, summary) = cached
        .create_with_completion::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(
        (again, summary.attempts, summary.total_usage.total_tokens),
        (first, 0, 0)
    );
    assert_eq!(bodies(&server).await.len(), 1);
    // Another message, model, context: each a miss.
    cached.create::<User>(request("Jason!")).await.unwrap();
    let mut other_model = request("Jason");
    other_model.model = "gpt-4o".to_owned();
    cached.create::<User>(other_model).await.unwrap();
    cached
        .create::<User>(request("Jason").context(serde_json::json!({"k": 1})))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 4);
    // `no_cache` asks the provider even for a stored answer.
    cached
        .create::<User>(request("Jason").no_cache())
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 5);
}

#[tokio::test]
async fn a_failed_call_is_never_stored() {
    let bad = tool_answer("User", r#"{"name": "Jason", "age": 400}"#, (1, 1));
    let server = serve_chat(vec![bad, tool_answer("User", GOOD, (1, 1))]).await;
    let cached = client(&server).with_cache(ResponseCache::memory());
    assert!(cached.create::<User>(request("Jason")).await.is_err());
    assert_eq!(
        cached.create::<User>(request("Jason")).await.unwrap().age,
        25
    );
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn memory_entries_expire_after_their_ttl() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1)); 2]).await;
    let cached = client(&server).with_cache(ResponseCache::memory().ttl(Duration::from_millis(50)));
    cached.create::<User>(request("Jason")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    cached.create::<User>(request("Jason")).await.unwrap();
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn a_disk_cache_serves_another_client_within_its_namespace_and_ttl() {
    let dir = scratch("disk");
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1)); 4]).await;
    let v1 = || ResponseCache::disk(&dir).namespace("v1");
    client(&server)
        .with_cache(v1())
        .create::<User>(request("Jason"))
        .await
        .unwrap();
    // A new client (another process would do the same) reads the file.
    client(&server)
        .with_cache(v1())
        .create::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 1);
    // Another namespace never answers for v1.
    let v2 = ResponseCache::disk(&dir).namespace("v2");
    client(&server)
        .with_cache(v2)
        .create::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 2);
    // Past its TTL an entry is a miss; a corrupt entry is a miss, not an error.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let short = ResponseCache::disk(&dir)
        .namespace("v1")
        .ttl(Duration::from_millis(10));
    client(&server)
        .with_cache(short)
        .create::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 3);
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::write(entry.unwrap().path(), "{not json").unwrap();
    }
    client(&server)
        .with_cache(v1())
        .create::<User>(request("Jason"))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

mod streamed {
    //! Streamed calls read and write the same entries: a hit replays the stored
    //! answer as a stream, without a request.

    use super::{GOOD, User, request};
    use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
    use futures::StreamExt;
    use instructor::ResponseCache;
    use instructor::prelude::*;
    use instructor::providers::OpenAI;

    fn cached_client(url: &str) -> instructor::Client {
        instructor::from_openai(OpenAI::new("sk-test").base_url(url))
            .with_mode(Mode::Tools)
            .with_model("gpt-4o-mini")
            .with_cache(ResponseCache::memory())
    }

    fn script(args: &str) -> Script {
        Script {
            events: chat_tool_stream("User", &pieces(args, 4), (7, 8)),
            ..Script::default()
        }
    }

    #[tokio::test]
    async fn a_streamed_answer_is_replayed_as_a_stream_and_answers_create() {
        // One connection only: every later call must come from the cache.
        let (url, mut bodies) = stream_server(vec![script(GOOD)]).await;
        let client = cached_client(&url);
        let mut stream = client
            .create_partial::<User>(request("Jason"))
            .await
            .unwrap();
        let mut live = 0;
        while let Some(p) = stream.next().await {
            p.unwrap();
            live += 1;
        }
        assert!(live > 1, "{live}");
        assert_eq!(stream.usage().unwrap().total_tokens, 15);
        let first = stream.take_final().unwrap();
        assert!(bodies.recv().await.unwrap()["stream"] == true);

        let mut replay = client
            .create_partial::<User>(request("Jason"))
            .await
            .unwrap();
        let mut snapshots = Vec::new();
        while let Some(p) = replay.next().await {
            snapshots.push(p.unwrap());
        }
        assert!(!snapshots.is_empty());
        assert_eq!(snapshots.last().unwrap().age, Some(25));
        assert_eq!(replay.usage().unwrap().total_tokens, 0, "nothing was spent");
        assert_eq!(replay.take_final().unwrap(), first);

        // `create` of the same request is the same entry.
        let (user, summary) = client
            .create_with_completion::<User>(request("Jason"))
            .await
            .unwrap();
        assert_eq!((user, summary.attempts), (first, 0));
        // `no_cache` would have to ask: the server has no connection left for it.
        assert!(bodies.try_recv().is_err());
    }

    #[tokio::test]
    async fn an_iterable_is_stored_once_every_item_validated_and_replayed() {
        let tasks = r#"{"tasks": [{"name": "Ann", "age": 30}, {"name": "Bob", "age": 40}]}"#;
        let (url, mut bodies) = stream_server(vec![Script {
            events: chat_tool_stream("IterableUser", &pieces(tasks, 5), (3, 4)),
            ..Script::default()
        }])
        .await;
        let client = cached_client(&url);
        let live: Vec<User> = client
            .create_iterable::<User>(request("people"))
            .await
            .unwrap()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(live.len(), 2);
        bodies.recv().await.unwrap();
        let replayed: Vec<User> = client
            .create_iterable::<User>(request("people"))
            .await
            .unwrap()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(replayed, live);
        let listed = client.create::<Vec<User>>(request("people")).await.unwrap();
        assert_eq!(listed, live);
        assert!(bodies.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_streamed_answer_that_fails_is_not_stored() {
        let bad = r#"{"name": "Jason", "age": 400}"#;
        let (url, mut bodies) = stream_server(vec![script(bad), script(GOOD)]).await;
        let client = cached_client(&url);
        let failed = client
            .create_partial::<User>(request("Jason"))
            .await
            .unwrap()
            .into_final()
            .await;
        assert!(failed.is_err());
        let user = client
            .create_partial::<User>(request("Jason"))
            .await
            .unwrap()
            .into_final()
            .await
            .unwrap();
        assert_eq!(user.age, 25);
        bodies.recv().await.unwrap();
        bodies.recv().await.unwrap();
    }
}
