use instructor::prelude::*;

fn not_reserved(name: &String, _: &ValidationContext<'_>) -> Result<(), String> {
    if name == "root" { Err("`root` is reserved".into()) } else { Ok(()) }
}

fn consistent(account: &Account, _: &ValidationContext<'_>) -> Result<(), &'static str> {
    if account.tags.len() > 10 { Err("too many tags") } else { Ok(()) }
}

/// An account.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(name = "account", description = "An account to create.", strict, validate = consistent)]
struct Account {
    /// The login.
    #[instruct(pattern = r"^[a-z][a-z0-9_]*$", min_length = 3, max_length = 32, validate = not_reserved)]
    #[instruct(example = "jane_doe", examples = ["jane", "bob_42"])]
    login: String,
    #[instruct(range(min = 0, max = 150), multiple_of = 1)]
    age: u32,
    #[instruct(exclusive_minimum = 0.0, exclusive_maximum = 1.0, description = "Between 0 and 1.")]
    score: f64,
    #[instruct(range(min = -10.5), multiple_of = 0.5)]
    offset: Option<f64>,
    #[instruct(min_items = 1, max_items = 5, unique_items)]
    tags: Vec<String>,
    #[instruct(format = "email")]
    email: Option<String>,
    #[instruct(one_of = ["a", "b"])]
    plan: String,
    #[instruct(one_of(1, 2, 3), example = 2)]
    tier: u8,
    #[serde(skip)]
    cache: Option<u64>,
}

fn main() {
    let schema = serde_json::to_value(Account::json_schema()).unwrap();
    assert!(schema.to_string().contains("jane_doe"));
    assert_eq!(Account::tool().name, "account");
    let ok = Account {
        login: "jane_doe".into(),
        age: 30,
        score: 0.5,
        offset: Some(-1.5),
        tags: vec!["x".into()],
        email: Some("jane@example.com".into()),
        plan: "a".into(),
        tier: 2,
        cache: None,
    };
    ok.validate(&ValidationContext::empty()).unwrap();
    let bad = Account { login: "root".into(), plan: "c".into(), tags: vec![], ..ok };
    assert!(bad.validate(&ValidationContext::empty()).is_err());
}
