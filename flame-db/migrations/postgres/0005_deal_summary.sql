-- Flame 0005: the pipeline summary (count and total per stage and currency) reads one index
-- instead of every deal row: the index holds every column the summary groups and sums, in
-- the order it groups them.

CREATE INDEX deals_summary ON deals (company_id, pipeline_id, stage_id, currency, amount_minor);
