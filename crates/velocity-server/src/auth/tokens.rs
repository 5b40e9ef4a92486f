//! Access tokens (short-lived HS256 JWTs naming the user), refresh tokens and API keys (random
//! secrets of which only a SHA-256 hash is stored).

use crate::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use velocity_domain::UserId;

/// Every API key starts with this, so a bearer token is told apart from a JWT at a glance (and
/// secret scanners can spot leaked keys).
pub const API_KEY_PREFIX: &str = "vk_";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    typ: String,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> TokenKeys {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
        }
    }

    pub fn issue(&self, user: UserId) -> Result<String, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .as_secs();
        let claims = Claims {
            sub: user.to_string(),
            iat: now,
            exp: now + self.access_ttl.as_secs(),
            typ: "access".into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token failed: {e}")))
    }

    /// The user an access token names, if its signature and expiry hold.
    pub fn verify(&self, token: &str) -> Result<UserId, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            ApiError::Unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired; refresh it".into(),
                _ => "the access token is not valid".into(),
            })
        })?;
        if data.claims.typ != "access" {
            return Err(ApiError::Unauthorized(
                "the access token is not valid".into(),
            ));
        }
        data.claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthorized("the access token is not valid".into()))
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh refresh token.
pub fn new_refresh_token() -> String {
    random_secret()
}

/// A fresh API key.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_secret())
}

/// The stored form of a token or key.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_is_caught() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let user = UserId::new();
        let token = keys.issue(user).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), user);
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 2, 'x');
        assert!(keys.verify(&tampered).is_err());
        let other = TokenKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashes_stable() {
        assert_ne!(new_api_key(), new_api_key());
        assert!(new_api_key().starts_with(API_KEY_PREFIX));
        assert_eq!(hash_secret("a"), hash_secret("a"));
        assert_eq!(hash_secret("a").len(), 64);
    }
}
