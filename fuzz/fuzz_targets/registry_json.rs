//! The service platform's JSON bodies: any bytes parsed as the server does
//! (`serde_json::from_slice`), then checked as the body of a create (`Input::check`) and of
//! a patch (`merge_patch` over a stored record, then `check`) for every kind of record.
//! Refusals carry a field, a code and both messages; an accepted record, stored and patched
//! with an empty body, is accepted again.
#![no_main]
use lc_registry::records::{
    merge_patch, parse_input, CommunityInput, DivisionInput, FacilityInput, Input,
    PractitionerInput, ProviderInput, ResidentInput,
};
use lc_registry::FieldError;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn check_errors(what: &str, errs: &[FieldError]) {
    assert!(!errs.is_empty(), "{what}: refused without a reason");
    for e in errs {
        // A body's key may be "" (then the unknown field's name is empty).
        assert!(
            (!e.field.is_empty() || e.code == "unknown_field") && !e.code.is_empty(),
            "{what}: an error without field or code: {e:?}"
        );
        assert!(
            !e.message_zh.is_empty() && !e.message_en.is_empty(),
            "{what}: an error without a message: {e:?}"
        );
    }
}

fn one<I: Input + Clone>(body: &Value) {
    match parse_input::<I>(body.clone()) {
        Ok(input) => match input.clone().check() {
            Ok(_) => {
                let merged = merge_patch::<I>(&input, &json!({}))
                    .unwrap_or_else(|e| panic!("{}: an empty patch is refused: {e:?}", I::ENTITY));
                if let Err(e) = merged.check() {
                    // The ID number is stored only masked: a patch keeps it without sending it.
                    let only_id = e.iter().all(|f| f.field == "id_number");
                    assert!(
                        only_id,
                        "{}: an accepted record, patched with nothing, is refused: {e:?}",
                        I::ENTITY
                    );
                }
            }
            Err(e) => check_errors(I::ENTITY, &e),
        },
        Err(e) => check_errors(I::ENTITY, &e),
    }
    match merge_patch::<I>(&I::default(), body) {
        Ok(merged) => {
            if let Err(e) = merged.check() {
                check_errors(I::ENTITY, &e);
            }
        }
        Err(e) => check_errors(I::ENTITY, &e),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    one::<DivisionInput>(&body);
    one::<CommunityInput>(&body);
    one::<FacilityInput>(&body);
    one::<ProviderInput>(&body);
    one::<PractitionerInput>(&body);
    one::<ResidentInput>(&body);
});
