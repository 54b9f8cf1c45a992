//! `styrhub token create|list|revoke`: API tokens from the command line, where whoever runs the
//! binary against the database is trusted (the audit log names them `cli`).

use anyhow::Context;
use styrhub_domain::access::{Author, NewToken, TokenStore};
use styrhub_domain::ports::GovernanceReader;
use styrhub_store::Store;

use crate::config::{TokenCommand, TokenCreateArgs};

/// Runs a `token` command.
pub async fn run(store: &Store, cmd: TokenCommand) -> anyhow::Result<()> {
    let by = Author::system("cli");
    match cmd {
        TokenCommand::Create(args) => create(store, &by, args).await,
        TokenCommand::List => list(store).await,
        TokenCommand::Revoke(args) => {
            let t = store
                .revoke_token(&by, args.id, chrono::Utc::now())
                .await
                .with_context(|| format!("cannot revoke token {}", args.id))?;
            println!("revoked token {} `{}`", t.id, t.name);
            Ok(())
        }
    }
}

/// The unit `--scope-unit` names: an id, or MUNICIPALITY-CODE/UNIT-KEY.
async fn scope_unit(store: &Store, s: &str) -> anyhow::Result<(i64, String)> {
    let s = s.trim();
    let unit = if let Ok(id) = s.parse::<i64>() {
        store.org_units_by_ids(&[id]).await?.pop()
    } else {
        let (code, key) = s.split_once('/').with_context(|| {
            format!("--scope-unit `{s}` is neither an organisation unit id nor MUNICIPALITY-CODE/UNIT-KEY such as 1489/sn")
        })?;
        let m = store
            .municipality_by_code(code)
            .await?
            .with_context(|| format!("--scope-unit `{s}`: there is no municipality {code}"))?;
        store.org_units_of(&[m.id]).await?.into_iter().find(|u| u.key == key)
    };
    let unit = unit.with_context(|| format!("--scope-unit `{s}`: there is no such organisation unit"))?;
    Ok((unit.id, unit.name))
}

async fn create(store: &Store, by: &Author, args: TokenCreateArgs) -> anyhow::Result<()> {
    let scope = match &args.scope_unit {
        Some(s) => Some(scope_unit(store, s).await?),
        None => None,
    };
    let (secret, hash) = crate::access::mint()?;
    let token = NewToken {
        name: args.name,
        role: args.role,
        scope_unit_id: scope.as_ref().map(|(id, _)| *id),
        hash,
    };
    if let Err(e) = token.validate() {
        anyhow::bail!("--{}: {}", e.field.replace('_', "-"), e.message);
    }
    let t = store.create_token(by, &token).await.context("cannot create the token")?;
    let scope = scope
        .map(|(id, name)| format!(", scope {name} (unit {id}) and below"))
        .unwrap_or_default();
    eprintln!("created token {} `{}`: {}{scope}", t.id, t.name, t.role);
    eprintln!("the token is shown once, below; store it now");
    println!("{}", secret.expose());
    Ok(())
}

async fn list(store: &Store) -> anyhow::Result<()> {
    let tokens = store.tokens().await?;
    println!(
        "{:>4}  {:<30}  {:<6}  {:>5}  {:<20}  {:<20}  revoked",
        "id", "name", "role", "scope", "created", "last used"
    );
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "-".into());
    for t in tokens {
        println!(
            "{:>4}  {:<30}  {:<6}  {:>5}  {:<20}  {:<20}  {}",
            t.id,
            t.name,
            t.role.as_str(),
            t.scope_unit_id.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            day(Some(t.created_at)),
            day(t.last_used_at),
            day(t.revoked_at),
        );
    }
    Ok(())
}
