//! Velocity's domain: identifiers, value types that parse, the schema of every CRM object and the
//! parsing of request bodies into typed record input. No I/O lives here: no SQL, no HTTP.

pub mod error;
pub mod ids;
pub mod input;
pub mod role;
pub mod schema;
pub mod values;

pub use error::{FieldError, ValidationErrors};
pub use ids::{new_id, ApiKeyId, RecordId, UserId, WorkspaceId};
pub use input::{
    check_invariants, parse_query_value, parse_record, FieldValue, Mode, RecordInput, StageInput,
};
pub use role::Role;
pub use schema::{Field, FieldType, ObjectKind};
