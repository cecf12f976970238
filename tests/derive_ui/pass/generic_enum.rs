// A generic enum compiles: the impl requires the enum to be a partial value itself.
use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Either<L, R> {
    Left(L),
    Right(R),
}

fn main() {
    let _ = Either::<String, u8>::json_schema();
}
