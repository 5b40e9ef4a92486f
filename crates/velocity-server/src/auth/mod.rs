//! Authentication: password hashing, access and refresh tokens, API keys and the login limiter.

mod cache;
mod limiter;
mod passwords;
mod tokens;

pub use cache::TtlCache;
pub use limiter::LoginLimiter;
pub use passwords::{hash_password, verify_password, MIN_PASSWORD_LEN};
pub use tokens::{hash_secret, new_api_key, new_refresh_token, TokenKeys, API_KEY_PREFIX};
