-- What the sites were told of the candidate (profession, kind of project, period), fixed when the poll is sent:
-- the Telegram poll, the e-mails and the web page show it as it was sent, after a restart too, even if the
-- interview is corrected meanwhile. Polls sent before this column existed have none: their text is made again.
ALTER TABLE polls ADD COLUMN asked TEXT;
