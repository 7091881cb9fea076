-- A site (or élu) has one link per purpose: the unique constraint of 0013 let rows with empty columns repeat
-- (NULLs are all different to SQLite), so each e-mail made a link of its own. The repeats are merged into the
-- first (their tokens keep opening it), and an index on the columns as compared makes them impossible.
UPDATE web_tokens SET link_id = (
    SELECT min(first.id) FROM web_links first JOIN web_links this ON this.id = web_tokens.link_id
    WHERE first.purpose = this.purpose AND first.poll_id IS this.poll_id AND first.site_id IS this.site_id
      AND first.notice_id IS this.notice_id AND first.elu_id IS this.elu_id);
UPDATE outbox SET link_id = (
    SELECT min(first.id) FROM web_links first JOIN web_links this ON this.id = outbox.link_id
    WHERE first.purpose = this.purpose AND first.poll_id IS this.poll_id AND first.site_id IS this.site_id
      AND first.notice_id IS this.notice_id AND first.elu_id IS this.elu_id) WHERE link_id IS NOT NULL;
UPDATE web_forms SET link_id = (
    SELECT min(first.id) FROM web_links first JOIN web_links this ON this.id = web_forms.link_id
    WHERE first.purpose = this.purpose AND first.poll_id IS this.poll_id AND first.site_id IS this.site_id
      AND first.notice_id IS this.notice_id AND first.elu_id IS this.elu_id);
DELETE FROM web_links WHERE id NOT IN (SELECT min(id) FROM web_links
    GROUP BY purpose, coalesce(poll_id, 0), coalesce(site_id, 0), coalesce(notice_id, 0), coalesce(elu_id, 0));
CREATE UNIQUE INDEX web_links_one ON web_links
    (purpose, coalesce(poll_id, 0), coalesce(site_id, 0), coalesce(notice_id, 0), coalesce(elu_id, 0));
