//! `KEY=STATE` or `KEY[GROUP]=STATE`: the states `monc status --set` (a drill on the local
//! emulator) puts in place.

/// `KEY=STATE` or `KEY[GROUP]=STATE` of `monc status --set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetState {
    pub key: String,
    pub group: Option<String>,
    pub state: String,
}

impl std::str::FromStr for SetState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "write KEY=STATE or KEY[GROUP]=STATE, e.g. l2/<template>/<cluster>=Alert";
        let (target, state) = text
            .rsplit_once('=')
            .ok_or_else(|| format!("{text:?} has no '=': {usage}"))?;
        let state = match state.trim().to_ascii_lowercase().as_str() {
            "ok" => "OK",
            "warn" => "Warn",
            "alert" => "Alert",
            "no data" | "nodata" | "no_data" => "No Data",
            _ => {
                return Err(format!(
                    "{state:?} is not a state: use OK, Warn, Alert or \"No Data\""
                ));
            }
        };
        let (key, group) = match target.split_once('[') {
            Some((key, rest)) => {
                let group = rest.strip_suffix(']').ok_or_else(|| {
                    format!("{text:?}: the group is not closed with ']': {usage}")
                })?;
                (key, Some(group.trim().to_owned()))
            }
            None => (target, None),
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("{text:?} names no monitor: {usage}"));
        }
        Ok(SetState {
            key: key.to_owned(),
            group: group.filter(|g| !g.is_empty()),
            state: state.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_state_reads_key_group_and_state() {
        let plain: SetState = "l2/db_cpu/prod-tokyo-1=alert".parse().expect("parses");
        assert_eq!(plain.key, "l2/db_cpu/prod-tokyo-1");
        assert_eq!((plain.group, plain.state.as_str()), (None, "Alert"));
        let grouped: SetState = "l3/x/acme[resource_name:/login]=No Data"
            .parse()
            .expect("parses");
        assert_eq!(grouped.group.as_deref(), Some("resource_name:/login"));
        assert_eq!(grouped.state, "No Data");
        assert!("l3/x/acme".parse::<SetState>().is_err());
        assert!("l3/x/acme=Red".parse::<SetState>().is_err());
        assert!("l3/x/acme[host:a=OK".parse::<SetState>().is_err());
    }
}
