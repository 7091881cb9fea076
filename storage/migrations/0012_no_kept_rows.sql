-- The reporting table is written from the data at each export again (XlsxWriter writes 10,000 candidates in a few
-- seconds): the kept rows, their triggers and the nightly drawing are gone.

DROP TRIGGER IF EXISTS report_candidate_updated;
DROP TRIGGER IF EXISTS report_interview_answers_insert;
DROP TRIGGER IF EXISTS report_interview_answers_update;
DROP TRIGGER IF EXISTS report_interview_answers_delete;
DROP TRIGGER IF EXISTS report_croisements_insert;
DROP TRIGGER IF EXISTS report_croisements_update;
DROP TRIGGER IF EXISTS report_croisements_delete;
DROP TRIGGER IF EXISTS report_croisement_sites_insert;
DROP TRIGGER IF EXISTS report_croisement_sites_update;
DROP TRIGGER IF EXISTS report_croisement_sites_delete;
DROP TRIGGER IF EXISTS report_visits_insert;
DROP TRIGGER IF EXISTS report_visits_update;
DROP TRIGGER IF EXISTS report_visits_delete;
DROP TRIGGER IF EXISTS report_debriefs_insert;
DROP TRIGGER IF EXISTS report_debriefs_update;
DROP TRIGGER IF EXISTS report_debriefs_delete;
DROP TRIGGER IF EXISTS report_follow_ups_insert;
DROP TRIGGER IF EXISTS report_follow_ups_update;
DROP TRIGGER IF EXISTS report_follow_ups_delete;
DROP TRIGGER IF EXISTS report_site_renamed;
DROP TRIGGER IF EXISTS report_visit_stops_insert;
DROP TRIGGER IF EXISTS report_visit_stops_update;
DROP TRIGGER IF EXISTS report_visit_stops_delete;
DROP TRIGGER IF EXISTS report_site_changed;
DROP TRIGGER IF EXISTS report_commune_changed;
DROP TABLE IF EXISTS report_rows;
DROP TABLE IF EXISTS report_changes;
DELETE FROM kv WHERE key = 'tableau:prepare';
