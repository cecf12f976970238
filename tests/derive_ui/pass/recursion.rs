use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct List {
    value: u32,
    next: Option<Box<List>>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Add(Box<Expr>, Box<Expr>),
    Call { name: String, args: Vec<Expr> },
}

fn main() {
    let _ = Tree::json_schema();
    let _ = List::json_schema();
    let _ = Expr::json_schema();
    let t: PartialTree = serde_json::from_str(r#"{"label":"a","children":[{"label":"b"}]}"#).unwrap();
    assert_eq!(t.children.unwrap().len(), 1);
}
