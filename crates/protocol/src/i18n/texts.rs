//! Every text of the widget's interface: its key in the language files, the placeholders it
//! carries and, for a text with a count, which placeholder picks the plural form. This table is
//! the one source of truth: each `static/i18n/<code>.json` holds exactly these keys in this
//! order (the widget reads the values by position, so no key names ship in its bundle), and
//! the widget's native tests fail when a file lacks a key, has an extra one, has them in
//! another order, or a value's placeholders differ.
//!
//! To add a text: add a line here (at the end, or where it belongs), then the same key in
//! every language file. The doc comment of each line is what translators read.

/// A text's key as it appears in the language files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    /// Names of the `{placeholder}`s every form of the text contains.
    pub placeholders: &'static [&'static str],
    /// For a text with a count: the placeholder holding it. The text is then an object of
    /// plural forms by CLDR category (see [`super::plural::categories`]).
    pub plural: Option<&'static str>,
}

macro_rules! texts {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $name:literal $([$($ph:literal),+])? $(plural $count:literal)?;
    )+) => {
        /// One text of the widget's interface; `Text::X as usize` is its position in a
        /// language file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text {
            $($(#[doc = $doc])+ $variant,)+
        }

        /// The keys, in language-file order (`KEYS[Text::X as usize]` is `Text::X`'s).
        pub const KEYS: &[Key] = &[$(Key {
            name: $name,
            placeholders: &[$($($ph),+)?],
            plural: texts!(@plural $($count)?),
        },)+];

        impl Text {
            /// Every text, in language-file order.
            pub const ALL: &'static [Text] = &[$(Text::$variant,)+];
            /// How many texts a language file holds.
            pub const COUNT: usize = Text::ALL.len();
        }
    };
    (@plural) => { None };
    (@plural $count:literal) => { Some($count) };
}

texts! {
    // ---- Shown before a language file has loaded, so the widget also has these in English
    // ---- (they must stay first: the widget's built-in copy covers the first few keys).
    /// The widget's accessible name (the region around it) and its document title.
    Chat = "chat";
    /// The header's title until an operator answers.
    Title = "title";
    /// While the widget loads its settings.
    Loading = "loading";
    /// The widget key is unknown (or the widget was deleted).
    Unavailable = "unavailable";
    /// The settings could not be fetched: no connection.
    LoadOffline = "load_offline";
    /// The settings could not be read or the server failed.
    LoadFailed = "load_failed";
    /// The button after a loading failure.
    TryAgain = "try_again";
    /// The header's close button (an icon; this is its accessible name and tooltip).
    Close = "close";

    // ---- The header
    /// The language menu's accessible name.
    Language = "language";
    /// The header button that opens the privacy panel.
    Privacy = "privacy";
    /// Header status: the first connection attempt.
    Connecting = "connecting";
    /// Header status: the connection was lost and is being re-established.
    Reconnecting = "reconnecting";
    /// Header status: an operator is online.
    Online = "online";
    /// Header status: connected, but no operator is online.
    Away = "away";

    // ---- The conversation
    /// The accessible name of the list of messages.
    Messages = "messages";
    /// Shown in an empty conversation.
    Empty = "empty";
    /// Under a message not yet stored by the server; also the leave-a-message button while
    /// it sends.
    Sending = "sending";
    /// The divider between a closed conversation and the next one.
    ClosedDivider = "closed_divider";
    /// After the last message, when an operator closed the conversation.
    Closed = "closed";
    /// The operator is typing (their name unknown).
    Typing = "typing";
    /// The operator `{name}` is typing.
    TypingNamed = "typing_named" ["name"];
    /// The composer's placeholder.
    Placeholder = "placeholder";
    /// The composer's accessible name; also the leave-a-message form's text label.
    Message = "message";
    /// The composer's send button.
    Send = "send";
    /// After the character counter when the text is `{count}` characters over the limit.
    TooLong = "too_long" ["count"] plural "count";
    /// A request on the chat failed (the server's reason is not shown).
    ErrorGeneric = "error_generic";
    /// The consent gate cannot hash the text (the page is not served over HTTPS).
    NoCrypto = "no_crypto";

    // ---- The pre-chat form
    /// Above the pre-chat fields.
    PrechatIntro = "prechat_intro";
    /// The name field's label; also a row of the privacy panel.
    Name = "name";
    /// The email field's label; also a row of the privacy panel.
    Email = "email";
    /// An optional field's label `{label}`, marked optional.
    Optional = "optional" ["label"];
    /// The pre-chat form's submit button.
    Start = "start";
    /// The field `{label}` must be filled in.
    FieldRequired = "field_required" ["label"];
    /// The field `{label}` takes at most `{max}` characters.
    FieldTooLong = "field_too_long" ["label", "max"] plural "max";
    /// The field `{label}` must be one line of plain text.
    FieldOneLine = "field_one_line" ["label"];
    /// The email field `{label}` does not hold an email address.
    FieldEmail = "field_email" ["label"];

    // ---- The leave-a-message form (no operator online)
    /// Its title.
    LeaveTitle = "leave_title";
    /// Under its title.
    LeaveIntro = "leave_intro";
    /// Submitted without a message.
    WriteMessage = "write_message";
    /// The message is over `{max}` characters.
    MaxChars = "max_chars" ["max"] plural "max";
    /// The email address does not look like one.
    CheckEmail = "check_email";
    /// The message holds invisible format characters (a right-to-left override, say).
    InvisibleChars = "invisible_chars";
    /// The server refused the message.
    NotSent = "not_sent";
    /// The message could not reach the server.
    NotSentOffline = "not_sent_offline";
    /// The form's submit button.
    SendMessage = "send_message";
    /// After the message was sent.
    Thanks = "thanks";
    /// Under the thanks.
    AnswerByEmail = "answer_by_email";

    // ---- The privacy panel
    /// Its title and accessible name.
    YourPrivacy = "your_privacy";
    /// Its close button.
    ClosePanel = "close_panel";
    /// Row: how many messages the server stores.
    MessagesStored = "messages_stored";
    /// Row: when consent was given.
    ConsentGiven = "consent_given";
    /// Row: which disclaimer was agreed to.
    Disclaimer = "disclaimer";
    /// That row's value: the disclaimer's `{version}` and `{language}` (a code such as de).
    DisclaimerVersion = "disclaimer_version" ["version", "language"];
    /// Row: the privacy policy's address.
    PrivacyPolicy = "privacy_policy";
    /// Row, when the chat asks no consent.
    Consent = "consent";
    /// That row's value.
    NotAsked = "not_asked";
    /// Row: the host page (standard mode).
    Page = "page";
    /// Row: the page the visitor came from (standard mode).
    CameFrom = "came_from";
    /// Row: the browser's family (standard mode).
    Browser = "browser";
    /// Row: the operating system's family (standard mode); also the author of system
    /// messages in the text download.
    System = "system";
    /// Note in standard mode.
    NoteStandard = "note_standard";
    /// Note in privacy mode.
    NotePrivate = "note_private";
    /// Download button.
    DownloadJson = "download_json";
    /// Download button.
    DownloadText = "download_text";
    /// Button.
    Delete = "delete";
    /// Button; also the confirm step's button.
    Withdraw = "withdraw";
    /// The confirm step before deleting.
    DeleteQuestion = "delete_question";
    /// The confirm step's delete button.
    DeleteConfirm = "delete_confirm";
    /// The confirm step before withdrawing.
    WithdrawQuestion = "withdraw_question";
    /// Leaves a confirm step.
    Cancel = "cancel";
    /// The visitor, in the text download.
    Visitor = "visitor";
    /// An operator without a name, in the text download.
    Operator = "operator";
    /// Heading of the list of every conversation the visitor has had with this site.
    YourConversations = "your_conversations";
    /// A row of that list (a button that shows the conversation): the day it last had a
    /// message, `{date}` (already written in the visitor's language), and its `{count}` of
    /// messages.
    ConversationRow = "conversation_row" ["date", "count"] plural "count";
    /// After a row: the conversation is still open (the chat under the panel).
    StatusOpen = "status_open";
    /// After a row: an operator ended the conversation.
    StatusEnded = "status_ended";
    /// After a row: a message left while no operator was online.
    StatusLeft = "status_left";
    /// Below the list when older conversations exist.
    ShowOlder = "show_older";
    /// Button: one file with every conversation in the list.
    DownloadAll = "download_all";
    /// Button: delete every conversation in the list (consent is not withdrawn).
    DeleteAll = "delete_all";
    /// The confirm step before deleting them all.
    DeleteAllQuestion = "delete_all_question";
}

impl Text {
    pub fn key(self) -> &'static Key {
        &KEYS[self as usize]
    }
}

/// FNV-1a over every key's name, placeholders and plural placeholder, in order: it changes
/// whenever the table does, so the widget asks for `<code>.json?v=<this>` and a browser never
/// reads a cached file of another shape.
pub const KEYS_HASH: u32 = {
    const fn eat(mut h: u32, s: &str) -> u32 {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            h ^= b[i] as u32;
            h = h.wrapping_mul(0x0100_0193);
            i += 1;
        }
        h ^ 0xff
    }
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < KEYS.len() {
        let k = &KEYS[i];
        h = eat(h, k.name);
        let mut j = 0;
        while j < k.placeholders.len() {
            h = eat(h, k.placeholders[j]);
            j += 1;
        }
        if let Some(p) = k.plural {
            h = eat(h, p);
        }
        i += 1;
    }
    h
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_snake_case_and_plural_counts_are_placeholders() {
        assert_eq!(KEYS.len(), Text::ALL.len());
        for (i, t) in Text::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
        let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len(), "unique names");
        for k in KEYS {
            assert!(
                k.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                k.name
            );
            if let Some(count) = k.plural {
                assert!(k.placeholders.contains(&count), "{}", k.name);
            }
        }
    }

    #[test]
    fn the_hash_follows_the_table() {
        // Pinned so a change of the table is a visible change here too.
        assert_ne!(KEYS_HASH, 0);
        assert_eq!(Text::TypingNamed.key().placeholders, ["name"]);
        assert_eq!(Text::TooLong.key().plural, Some("count"));
    }
}
