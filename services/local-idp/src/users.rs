//! The user pool: `users.json` in the data directory, loaded once, rewritten atomically on every sign-up.
//! Emails are the sign-in name and are matched case-insensitively, like a Cognito pool with email as username.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::error::IdpError;
use crate::fsutil::write_private_atomically;
use crate::password;

const USERS_FILE: &str = "users.json";
/// Cognito's maximum password length.
const MAX_PASSWORD: usize = 256;
const MIN_PASSWORD: usize = 8;
const MAX_NAME: usize = 200;
/// RFC 5321's limit on a forward path.
const MAX_EMAIL: usize = 254;

/// A sign-in email: trimmed, lower-cased, shaped like `local@domain.tld`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Email(String);

impl Email {
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let shaped = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && email.len() <= MAX_EMAIL
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        shaped.then_some(Email(email))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The details a sign-up form must supply, checked as Cognito's default policy would (length only).
pub(crate) struct NewUser {
    pub(crate) email: Email,
    pub(crate) name: String,
    pub(crate) password: String,
}

/// Why a sign-up was refused; shown to the person signing up, so worded for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignUpProblem {
    InvalidEmail,
    MissingName,
    PasswordTooShort,
    PasswordTooLong,
    EmailTaken,
}

impl SignUpProblem {
    pub(crate) fn message(self) -> &'static str {
        match self {
            SignUpProblem::InvalidEmail => "Enter a valid email address, like name@example.com.",
            SignUpProblem::MissingName => "Enter your name (up to 200 characters).",
            SignUpProblem::PasswordTooShort => "Choose a password of at least 8 characters.",
            SignUpProblem::PasswordTooLong => "Choose a password of at most 256 characters.",
            SignUpProblem::EmailTaken => "An account with this email already exists. Sign in instead.",
        }
    }
}

impl NewUser {
    pub(crate) fn parse(email: &str, name: &str, password: &str) -> Result<Self, SignUpProblem> {
        let email = Email::parse(email).ok_or(SignUpProblem::InvalidEmail)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(SignUpProblem::MissingName);
        }
        match password.chars().count() {
            n if n < MIN_PASSWORD => Err(SignUpProblem::PasswordTooShort),
            n if n > MAX_PASSWORD => Err(SignUpProblem::PasswordTooLong),
            _ => Ok(NewUser { email, name: name.to_owned(), password: password.to_owned() }),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct User {
    /// Cognito's `sub`: a UUID fixed at sign-up. Also used as `cognito:username`, as in pools that sign in by email.
    pub(crate) sub: String,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) password_hash: String,
    pub(crate) created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("sub", &self.sub).finish_non_exhaustive()
    }
}

#[derive(Default, Serialize, Deserialize)]
struct UsersFile {
    users: Vec<User>,
}

#[derive(Debug)]
pub(crate) struct UserStore {
    path: PathBuf,
    users: Mutex<Vec<User>>,
}

impl UserStore {
    /// Reads `users.json` from `dir`; a missing file is an empty pool, an unreadable one an error (never wiped).
    pub(crate) fn open(dir: &Path) -> Result<Self, IdpError> {
        let path = dir.join(USERS_FILE);
        let file = match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice::<UsersFile>(&bytes).map_err(|e| IdpError::Corrupt { path: path.clone(), reason: e.to_string() })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => UsersFile::default(),
            Err(e) => return Err(IdpError::io("read", &path)(e)),
        };
        Ok(Self { path, users: Mutex::new(file.users) })
    }

    pub(crate) async fn by_email(&self, email: &Email) -> Option<User> {
        self.users.lock().await.iter().find(|u| u.email == email.as_str()).cloned()
    }

    pub(crate) async fn by_sub(&self, sub: &str) -> Option<User> {
        self.users.lock().await.iter().find(|u| u.sub == sub).cloned()
    }

    /// Hashes the password and saves the new user. `Ok(Err(EmailTaken))` if the email is already registered.
    pub(crate) async fn create(&self, new: NewUser, now: i64) -> Result<Result<User, SignUpProblem>, IdpError> {
        if self.by_email(&new.email).await.is_some() {
            return Ok(Err(SignUpProblem::EmailTaken));
        }
        // Hash outside the lock: it takes a while and sign-ins should not queue behind it.
        let password = new.password;
        let password_hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
        let user = User {
            sub: uuid::Uuid::new_v4().to_string(),
            email: new.email.as_str().to_owned(),
            name: new.name,
            password_hash,
            created_at: now,
        };

        let mut users = self.users.lock().await;
        // Checked again under the lock: two sign-ups for one email may have raced past the first check.
        if users.iter().any(|u| u.email == user.email) {
            return Ok(Err(SignUpProblem::EmailTaken));
        }
        let mut next = users.clone();
        next.push(user.clone());
        let bytes = serde_json::to_vec_pretty(&UsersFile { users: next.clone() })
            .map_err(|e| IdpError::Corrupt { path: self.path.clone(), reason: e.to_string() })?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_private_atomically(&path, &bytes)).await??;
        *users = next;
        Ok(Ok(user))
    }

    /// Checks an email and password; `None` for an unknown email or a wrong password alike, in the same time.
    pub(crate) async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>, IdpError> {
        let user = match Email::parse(email) {
            Some(email) => self.by_email(&email).await,
            None => None,
        };
        let password = password.to_owned();
        let checked = tokio::task::spawn_blocking(move || match user {
            Some(user) if password::verify(&password, &user.password_hash) => Some(user),
            Some(_) => None,
            None => {
                password::burn(&password);
                None
            }
        })
        .await?;
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        let cases = [
            ("Guest@Example.com ", Some("guest@example.com")),
            ("a@b.co", Some("a@b.co")),
            ("no-at.example.com", None),
            ("@example.com", None),
            ("a@localhost", None),
            ("a@b@c.com", None),
            ("a b@c.com", None),
            ("a@.com", None),
            ("a@b.", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(Email::parse(raw).as_ref().map(Email::as_str), expected, "{raw:?}");
        }
    }

    #[test]
    fn sign_up_rules() {
        let cases = [
            ("a@b.co", "Ann", "12345678", None),
            ("a@b.co", "  ", "12345678", Some(SignUpProblem::MissingName)),
            ("a@b", "Ann", "12345678", Some(SignUpProblem::InvalidEmail)),
            ("a@b.co", "Ann", "1234567", Some(SignUpProblem::PasswordTooShort)),
            ("a@b.co", "Ann", &"x".repeat(257), Some(SignUpProblem::PasswordTooLong)),
        ];
        for (email, name, password, expected) in cases {
            assert_eq!(NewUser::parse(email, name, password).err(), expected, "{email:?} {name:?}");
        }
    }

    #[tokio::test]
    async fn users_persist_and_emails_are_unique() {
        let dir = tempfile::tempdir().unwrap();
        let store = UserStore::open(dir.path()).unwrap();
        let ann = NewUser::parse("Ann@Example.com", "Ann", "password1").unwrap();
        let created = store.create(ann, 1).await.unwrap().unwrap();
        let again = NewUser::parse("ann@example.com", "Ann 2", "password2").unwrap();
        assert_eq!(store.create(again, 2).await.unwrap().err(), Some(SignUpProblem::EmailTaken));

        let reopened = UserStore::open(dir.path()).unwrap();
        let cases = [
            ("ANN@example.com", "password1", Some(created.sub.clone())),
            ("ann@example.com", "password2", None),
            ("bob@example.com", "password1", None),
            ("not an email", "password1", None),
        ];
        for (email, password, expected) in cases {
            let got = reopened.authenticate(email, password).await.unwrap().map(|u| u.sub);
            assert_eq!(got, expected, "{email:?}");
        }
        assert_eq!(reopened.by_sub(&created.sub).await.map(|u| u.name), Some("Ann".to_owned()));
    }

    #[test]
    fn corrupt_users_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(USERS_FILE), "{").unwrap();
        assert!(matches!(UserStore::open(dir.path()), Err(IdpError::Corrupt { .. })));
    }
}
