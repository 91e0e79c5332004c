//! The channel registry: every platform hearken connects, with its module, its
//! `[[channels.<platform>]]` table and how its channels are built. Adding a platform is one
//! folder under `src/channels/` and one line in `platforms!` below; the module declaration,
//! start-up and the settings follow from it (`channels::<platform>` is re-exported).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

// A platform module is declared here, so its `super::` is this file: the glob lets it name the
// channel types (`super::Channel`, `super::webhook`) as if it were declared in `channels`.
#[allow(unused_imports)]
use super::*;

use super::webchat::{self, Webchat};
use super::{Channel, Channels};

/// Each line is `table in "its/file.rs": SettingsType => ChannelType`: the platform's module
/// (named for its table), its source file under `src/channels/`, and its types; the channel type
/// has `new(settings, send_timeout) -> Self`.
macro_rules! platforms {
    ($( $(#[$doc:meta])* $table:ident in $file:literal: $settings:ident => $channel:ident, )*) => {
        $( #[path = $file] pub mod $table; )*

        /// `[channels]`: the web chat, one list of accounts per platform, and how often they are
        /// checked.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ChannelSettings {
            pub webchat: WebchatSettings,
            $( $(#[$doc])* pub $table: Vec<$table::$settings>, )*
            /// Seconds between credential and webhook checks of every channel by `serve` (the
            /// first runs at start); 0 turns them off. An expired token then shows in `/ready`
            /// and raises `channel.unhealthy` before a customer's reply fails.
            pub check_interval_secs: u64,
        }

        impl Default for ChannelSettings {
            fn default() -> Self {
                Self {
                    webchat: WebchatSettings::default(),
                    $( $table: Vec::new(), )*
                    check_interval_secs: 900,
                }
            }
        }

        const PLATFORMS: &[Platform] = &[ $(
            Platform {
                table: stringify!($table),
                names: |cs| cs.$table.iter().map(|c| c.name.as_str()).collect(),
                build: |cs, timeout| {
                    cs.$table
                        .iter()
                        .map(|c| Arc::new($table::$channel::new(c.clone(), timeout)) as Arc<dyn Channel>)
                        .collect()
                },
            },
        )* ];
    };
}

platforms! {
    /// API channels: signed JSON in at `/v1/channels/<name>/webhook`, signed POSTs out.
    api in "api.rs": ApiChannelSettings => ApiChannel,
    x in "x/mod.rs": XSettings => XChannel,
    facebook in "facebook/mod.rs": FacebookSettings => FacebookChannel,
    slack in "slack/mod.rs": SlackSettings => SlackChannel,
    mastodon in "mastodon/mod.rs": MastodonSettings => MastodonChannel,
    telegram in "telegram/mod.rs": TelegramSettings => TelegramChannel,
}

/// One platform's entry: its table, its configured account names, its constructor.
struct Platform {
    table: &'static str,
    names: for<'a> fn(&'a ChannelSettings) -> Vec<&'a str>,
    build: fn(&ChannelSettings, Duration) -> Vec<Arc<dyn Channel>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebchatSettings {
    pub enabled: bool,
}

impl Default for WebchatSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl ChannelSettings {
    /// Every configured channel name with its table, in configuration order.
    pub fn names(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if self.webchat.enabled {
            out.push(("webchat", webchat::NAME));
        }
        for p in PLATFORMS {
            out.extend((p.names)(self).into_iter().map(|name| (p.table, name)));
        }
        out
    }

    /// Every configured channel; `send_timeout` bounds each send.
    pub fn build(&self, send_timeout: Duration) -> Channels {
        let mut channels = Channels::default();
        if self.webchat.enabled {
            channels.insert(Arc::new(Webchat));
        }
        for p in PLATFORMS {
            for channel in (p.build)(self, send_timeout) {
                channels.insert(channel);
            }
        }
        channels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_is_a_table_of_the_settings() {
        let mut tables = toml::Table::new();
        for p in PLATFORMS {
            tables.insert(p.table.into(), toml::Value::Array(Vec::new()));
        }
        let parsed: Result<ChannelSettings, _> = toml::Value::Table(tables).try_into();
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn the_web_chat_comes_first_and_each_account_is_listed_under_its_platform() {
        let cs: ChannelSettings = toml::from_str(
            "[[api]]\nname = \"shop\"\nsecret = \"0123456789abcdef\"\noutbound_url = \"http://127.0.0.1:9/\"\n",
        )
        .expect("an API channel parses");
        assert_eq!(cs.names(), [("webchat", "webchat"), ("api", "shop")]);
        let channels = cs.build(Duration::from_secs(1));
        assert_eq!(channels.names().collect::<Vec<_>>(), ["shop", "webchat"]);
        let quiet: ChannelSettings =
            toml::from_str("[webchat]\nenabled = false\n").expect("parses");
        assert!(quiet.names().is_empty());
        assert_eq!(quiet.build(Duration::from_secs(1)).iter().count(), 0);
    }
}
