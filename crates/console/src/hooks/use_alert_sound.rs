//! Plays the chime each time `alerts` goes up, once the operator has interacted with the page.
//! Failing to play (no audio device, autoplay policy) is silently ignored.

use super::use_user_activated;
use crate::sound;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlAudioElement;
use yew::prelude::*;

#[hook]
pub fn use_alert_sound(alerts: u64) {
    let activated = use_user_activated();
    let url = use_memo((), |_| sound::chime_data_url());
    use_effect_with(alerts, move |&alerts| {
        if alerts > 0 && activated.get() {
            play(&url);
        }
    });
}

fn play(url: &str) {
    let Ok(audio) = HtmlAudioElement::new_with_src(url) else {
        return;
    };
    audio.set_volume(0.6);
    if let Ok(promise) = audio.play() {
        wasm_bindgen_futures::spawn_local(async move {
            // A rejected play() (autoplay policy, no device) is not worth a word.
            let _ = JsFuture::from(promise).await;
        });
    }
}
