select
    tenant_id || ':' || workbook_id as workbook_key,
    *
from {{ source('clo_analytics', 'clo_insights') }}
