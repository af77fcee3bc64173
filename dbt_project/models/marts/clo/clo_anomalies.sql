-- Z-score anomalies per numeric holding field, with |z| as their sort key (served by /workbooks/{id}/anomalies
-- and /workbooks/{id}/insights, largest |z| first). |z| is a double: a keyset cursor carries it as a float,
-- which compares exactly with a double (and not with a numeric).
select
    workbook_key || ':' || anomaly_id as anomaly_key,
    workbook_key,
    tenant_id,
    partition_key,
    workbook_id,
    anomaly_id,
    holding_id,
    field,
    cusip,
    issuer_name,
    value,
    mean,
    std,
    z_score,
    abs(z_score)::double precision as abs_z_score,
    expected_low,
    expected_high,
    threshold,
    detection_method,
    severity
from {{ ref('stg_clo_anomalies') }}
