# bash completion for flowlane(8)

_flowlane()
{
	local cur prev words cword
	_init_completion || return

	local verbs="status dev tag set flows stats top monitor flush apply check diff backend show-config help"
	local policy="offload threshold max-flows timeout"
	local i verb="" sub=""
	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-*) ;;
		*) if [[ -z $verb ]]; then verb=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
		esac
	done

	case "$prev" in
	offload) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
	proto) COMPREPLY=($(compgen -W "tcp udp gre" -- "$cur")); return ;;
	family) COMPREPLY=($(compgen -W "ipv4 ipv6" -- "$cur")); return ;;
	threshold|max-flows|timeout|id|tag-mask|interval|count|addr) return ;;
	tag)
		if [[ $verb == flows || $verb == flush ]]; then
			COMPREPLY=($(compgen -W "$(flowlane tag list 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
			return
		fi ;;
	esac

	case "$verb" in
	"") COMPREPLY=($(compgen -W "$verbs --json --version --help" -- "$cur")) ;;
	dev)
		case "$sub" in
		"") COMPREPLY=($(compgen -W "add del list" -- "$cur")) ;;
		add|del) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;
		esac ;;
	tag)
		case "$sub" in
		"") COMPREPLY=($(compgen -W "add set del list" -- "$cur")) ;;
		add) COMPREPLY=($(compgen -W "id $policy" -- "$cur")) ;;
		set|del)
			if ((cword == 3)); then
				COMPREPLY=($(compgen -W "$(flowlane tag list 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
			elif [[ $sub == set ]]; then
				COMPREPLY=($(compgen -W "$policy" -- "$cur"))
			fi ;;
		esac ;;
	set) COMPREPLY=($(compgen -W "$policy tag-mask" -- "$cur")) ;;
	flows) COMPREPLY=($(compgen -W "tag addr proto family id" -- "$cur")) ;;
	flush) COMPREPLY=($(compgen -W "tag addr" -- "$cur")) ;;
	stats) COMPREPLY=($(compgen -W "--prometheus" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "interval count" -- "$cur")) ;;
	monitor) COMPREPLY=($(compgen -W "count" -- "$cur")) ;;
	apply) COMPREPLY=($(compgen -W "--nft-only --rebuild --dry-run --remove -v" -- "$cur") $(compgen -f -X '!*.json' -- "$cur")) ;;
	check) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur")) ;;
	diff) COMPREPLY=($(compgen -W "-v" -- "$cur") $(compgen -f -X '!*.json' -- "$cur")) ;;
	backend)
		if ((cword >= 4)); then
			COMPREPLY=($(compgen -W "up down drain --nft-only" -- "$cur") $(compgen -f -X '!*.json' -- "$cur"))
		fi ;;
	esac
}
complete -F _flowlane flowlane
