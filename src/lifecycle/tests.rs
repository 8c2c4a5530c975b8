use super::*;

#[test]
fn phases_and_actors_read_back_as_stored() {
    for phase in Phase::ALL {
        assert_eq!(Phase::parse(phase.name()), Some(phase));
        let json = serde_json::to_value(phase).unwrap();
        assert_eq!(json.as_str(), Some(phase.name()));
    }
    assert_eq!(Phase::parse("shadowy"), None);
    for actor in [Actor::Loop, Actor::Person("ana".into())] {
        assert_eq!(Actor::from_text(&actor.to_text()), actor);
    }
}

#[test]
fn transitions_and_failures_read_in_words_for_people() {
    let t = |actor, reason: &str| Transition {
        job: "sakila.actor".into(),
        at: 0.0,
        from: Phase::ReverseShadow,
        to: Phase::Shadow,
        actor,
        reason: reason.into(),
        window: None,
    };
    assert_eq!(
        t(
            Actor::Loop,
            "L002 data_quality: checksums differ over 100 rows; L004 latency: new 3 s, old 1 s"
        )
        .in_words(),
        "reverse shadow → shadow by the loop: L002 data quality: checksums differ over 100 rows; \
         L004 latency: new 3 s, old 1 s"
    );
    assert_eq!(
        t(Actor::Person("Ana".into()), " ").in_words(),
        "reverse shadow → shadow by Ana"
    );
    // Only the criterion after its code changes: a detail that names the manifest key stays.
    assert_eq!(
        failures_in_words("L002 data_quality: see data_quality in [lifecycle]"),
        "L002 data quality: see data_quality in [lifecycle]"
    );
    for criterion in Criterion::EVERY {
        assert!(!criterion.label().contains('_'), "{criterion:?}");
        assert_eq!(
            failures_in_words(&format!("L000 {}: x", criterion.name())),
            format!("L000 {}: x", criterion.label())
        );
    }
    assert_eq!(Attention::AwaitingApproval.label(), "awaiting approval");
    for phase in Phase::ALL {
        assert!(!phase.label().contains('_'), "{phase}");
    }
}

#[test]
fn tolerances_are_inclusive_and_every_criterion_is_named() {
    let policy = JobPolicy::for_job(&LifecycleSettings::default(), "t");
    let r = |rows_read, cpu_ms| Resources {
        rows_read: Some(rows_read),
        bytes_written: Some(10),
        cpu_ms: Some(cpu_ms),
        ..Resources::default()
    };
    let at_limit = Window {
        old_rows: Some(1),
        new_rows: Some(1),
        checksum_match: Some(true),
        old_latency_seconds: Some(10.0),
        new_latency_seconds: Some(11.0),
        old_resources: Some(r(100, 10.0)),
        new_resources: Some(r(110, 11.0)),
        failed_assertions: None,
    };
    assert_eq!(at_limit.failures(&policy), []);
    let over = Window {
        new_latency_seconds: Some(11.5),
        new_resources: Some(r(111, 12.0)),
        ..at_limit.clone()
    };
    let lines: Vec<String> = over.failures(&policy).iter().map(Failure::line).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("L003 latency: new lands in 11.5 s, old in 10 s"));
    assert!(
        lines[1].starts_with("L004 resources: rows read old 100, new 111, CPU ms old 10, new 12")
    );
    let empty = Window::default().failures(&policy);
    assert_eq!(empty.len(), 3);
    assert!(empty
        .iter()
        .all(|f| f.code == crate::codes::lifecycle::NOT_MEASURED));
}
